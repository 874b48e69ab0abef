#!/bin/sh
# Healthy: the server accepts connections on its socket (the setup server
# of the entrypoint listens elsewhere, so it never counts).
exec pg_isready -q -h /tmp -U postgres -d postgres
