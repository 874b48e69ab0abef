#!/bin/sh
# ch-matcher is PID 1; it exits (and the container restarts) when it loses
# what it cannot recover from. A pool that lives but stops taking jobs
# shows in /metrics (the age of the oldest queued job), and its jobs go to
# the other replicas when their leases expire.
read -r comm </proc/1/comm && [ "$comm" = ch-matcher ] &&
    ! grep -q '^State:[[:space:]]*[ZT]' /proc/1/status
