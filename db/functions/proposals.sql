-- Proposals: what the worker pool suggests, their review (approve,
-- reject), the two sides' answers (accept, decline), the second
-- acceptance that creates the placement or tandem, expiry, and the
-- triggers that invalidate open proposals when either side changes.
--
-- Each function here is its one current source: edit it in place, and
-- scripts/migrate.sh applies the file again (CREATE OR REPLACE). A
-- function whose arguments or result type change, or that goes away, is
-- dropped by a new migration in db/migrations/.

-- The status as everyone sees it: an open proposal past its time is
-- expired at once, before the sweep writes it down.
CREATE OR REPLACE FUNCTION ch.proposal_status(x ch.proposal) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN x.status IN ('pending', 'approved')
	    AND x.expires_at <= now() THEN 'expired' ELSE x.status END;
$$;

-- Open proposals past their time become expired (the reads show them so
-- at once; this writes it down and frees the places they held).
CREATE OR REPLACE FUNCTION ch.proposals_expire() RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$
	WITH x AS (
		UPDATE ch.proposal SET status = 'expired'
		WHERE status IN ('pending', 'approved') AND expires_at <= now()
		RETURNING 1)
	SELECT count(*)::integer FROM x;
$$;

-- ---------------------------------------------------------------------
-- Invalidation: a withdrawn consent, a participant who stops, an offer
-- that is no longer open, a mentor who is no longer active. The next job
-- reads the new state anyway; these close the open proposals at once.

CREATE OR REPLACE FUNCTION ch.proposals_invalidate(p_reason text, p_participant uuid,
    p_offer uuid, p_mentor uuid, p_other_district boolean DEFAULT false)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
AS $$
	UPDATE ch.proposal pr SET status = 'invalidated',
	    invalidated_reason = p_reason
	WHERE pr.status IN ('pending', 'approved')
	    AND (p_participant IS NULL OR pr.participant_id = p_participant)
	    AND (p_offer IS NULL OR pr.offer_id = p_offer)
	    AND (p_mentor IS NULL OR pr.mentor_id = p_mentor)
	    AND (NOT p_other_district OR pr.district_id <> coalesce(
		(SELECT f.district_id FROM ch.offer f WHERE f.id = pr.offer_id),
		(SELECT m.district_id FROM ch.mentor m
		    WHERE m.id = pr.mentor_id)));
$$;

-- Who sees a proposal (the policies say the same): staff of the
-- participant's district; once approved, the participant, the offer's
-- organisation, the mentor.
CREATE OR REPLACE FUNCTION ch.proposal_visible(x ch.proposal)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT ch.staff_of(x.district_id)
	    OR coalesce(x.reviewed_at IS NOT NULL AND x.status <> 'rejected'
		AND (ch.is_self(x.participant_id)
		OR (ch.setting('role') = 'organization'
		    AND x.organization_id::text = ch.setting('organization'))
		OR (ch.setting('role') = 'mentor'
		    AND x.mentor_user_id::text = ch.setting('user'))), false);
$$;

CREATE OR REPLACE FUNCTION ch.proposal_load(p_who jsonb, p_id uuid,
    p_lock boolean DEFAULT false)
RETURNS ch.proposal LANGUAGE plpgsql AS $$
DECLARE
	x	ch.proposal;
BEGIN
	PERFORM ch.enter(p_who);
	IF p_lock THEN
		SELECT * INTO x FROM ch.proposal WHERE id = p_id FOR UPDATE;
	ELSE
		SELECT * INTO x FROM ch.proposal WHERE id = p_id;
	END IF;
	IF NOT FOUND OR NOT ch.proposal_visible(x) THEN
		PERFORM ch.fail_missing('proposal');
	END IF;
	RETURN x;
END
$$;

CREATE OR REPLACE FUNCTION ch.proposal_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	x	ch.proposal := ch.proposal_load(p_who, p_id);
BEGIN
	RETURN ROW(x.version, NULL::text, ch.proposal_json(p_who, x)::text,
	    false);
END
$$;

-- The proposals of a job, best first (rank), as far as the caller may
-- see them.
CREATE OR REPLACE FUNCTION ch.matching_job_proposals(p_who jsonb, p_id uuid,
    p_filter jsonb, p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
DECLARE
	j	ch.matching_job := ch.matching_job_load(p_who, p_id);
BEGIN
	RETURN QUERY
	SELECT ch.proposal_json(p_who, x)::text, x.rank::text, x.id::text
	FROM ch.proposal x
	WHERE x.job_id = j.id AND ch.proposal_visible(x)
	    AND (p_filter->>'status' IS NULL
		OR ch.proposal_status(x) = p_filter->>'status')
	    AND (p_after IS NULL OR (x.rank, x.id) >
		(p_after[1]::numeric::integer, p_after[2]::uuid))
	ORDER BY x.rank, x.id
	LIMIT p_limit;
END
$$;

CREATE OR REPLACE FUNCTION ch.proposal_list(p_who jsonb, p_filter jsonb,
    p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ch.enter(p_who);
	RETURN QUERY
	SELECT ch.proposal_json(p_who, x)::text,
	    ch.cursor_key(x.updated_at), x.id::text
	FROM ch.proposal x
	WHERE ch.proposal_visible(x)
	    AND (p_filter->>'status' IS NULL
		OR ch.proposal_status(x) = p_filter->>'status')
	    AND (p_filter->>'programme' IS NULL
		OR x.programme = p_filter->>'programme')
	    AND (p_filter->>'participant_id' IS NULL OR x.participant_id =
		(p_filter->>'participant_id')::uuid)
	    AND (p_filter->>'offer_id' IS NULL
		OR x.offer_id = (p_filter->>'offer_id')::uuid)
	    AND (p_filter->>'mentor_id' IS NULL
		OR x.mentor_id = (p_filter->>'mentor_id')::uuid)
	    AND (p_filter->>'job_id' IS NULL
		OR x.job_id = (p_filter->>'job_id')::uuid)
	    AND (p_filter->>'updated_since' IS NULL OR x.updated_at >=
		(p_filter->>'updated_since')::timestamptz)
	    AND ch.after(x.updated_at, x.id, p_after)
	ORDER BY x.updated_at, x.id
	LIMIT p_limit;
END
$$;

-- An open proposal for an action: locked, visible, not past its time.
CREATE OR REPLACE FUNCTION ch.proposal_open(p_who jsonb, p_id uuid, p_want text[])
RETURNS ch.proposal LANGUAGE plpgsql AS $$
DECLARE
	x	ch.proposal := ch.proposal_load(p_who, p_id, true);
	s	text := ch.proposal_status(x);
BEGIN
	IF NOT s = ANY (p_want) THEN
		PERFORM ch.fail(409, format('The proposal is %s; this needs it '
		    '%s.', s, array_to_string(p_want, ' or ')), NULL,
		    'proposal-' || s);
	END IF;
	RETURN x;
END
$$;

CREATE OR REPLACE FUNCTION ch.proposal_result(p_who jsonb, x ch.proposal)
RETURNS ch.result LANGUAGE sql STABLE AS $$
	SELECT ROW(y.version, NULL::text, ch.proposal_json(p_who, y)::text,
	    false)::ch.result
	FROM ch.proposal y WHERE y.id = x.id;
$$;

-- An open proposal for staff to review: theirs, in the state wanted.
CREATE OR REPLACE FUNCTION ch.proposal_to_review(p_who jsonb, p_id uuid,
    p_want text[])
RETURNS ch.proposal LANGUAGE plpgsql AS $$
DECLARE
	x	ch.proposal := ch.proposal_open(p_who, p_id, p_want);
BEGIN
	IF NOT ch.is_staff(p_who, x.district_id) THEN
		PERFORM ch.fail(403, 'Proposals are reviewed by the programme''s '
		    'staff of the participant''s district.');
	END IF;
	RETURN x;
END
$$;

-- POST /v1/proposals/{id}/reject {"reason", "note"}: staff; a rejected
-- pair is never proposed again.
CREATE OR REPLACE FUNCTION ch.proposal_reject(p_who jsonb, p_key text, p_hash text,
    p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	x	ch.proposal;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	x := ch.proposal_to_review(p_who, p_id, ARRAY['pending', 'approved']);
	UPDATE ch.proposal SET status = 'rejected', reviewed_at = now(),
	    reviewed_by = p_who->>'actor', review_reason = p_body->>'reason',
	    review_note = p_body->>'note'
	WHERE id = x.id;
	PERFORM ch.audit_by(p_who, 'proposal.rejected', 'proposal', x.id,
	    x.district_id, jsonb_build_object('reason', p_body->>'reason'));
	RETURN ch.idem_finish(p_who, p_key, p_hash,
	    ch.proposal_result(p_who, x));
END
$$;

-- The side the caller answers for: the participant herself or staff on
-- her behalf ('subject'); the offer's organisation or the mentor
-- ('candidate').
CREATE OR REPLACE FUNCTION ch.proposal_side(p_who jsonb, x ch.proposal) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT CASE
	    WHEN ch.is_staff(p_who, x.district_id) THEN 'subject'
	    WHEN p_who->>'role' = 'participant'
		AND x.participant_id::text = p_who->>'participant'
		THEN 'subject'
	    WHEN p_who->>'role' = 'organization'
		AND x.organization_id::text = p_who->>'organization'
		THEN 'candidate'
	    WHEN p_who->>'role' = 'mentor'
		AND x.mentor_user_id::text = p_who->>'user' THEN 'candidate'
	    END;
$$;

-- Records the answer of the caller's side (see ch.proposal_side) to an
-- approved proposal, once; returns the proposal as it is now.
CREATE OR REPLACE FUNCTION ch.proposal_answered(p_who jsonb, p_id uuid,
    p_answer text)
RETURNS ch.proposal LANGUAGE plpgsql AS $$
DECLARE
	x	ch.proposal := ch.proposal_open(p_who, p_id, ARRAY['approved']);
	side	text := ch.proposal_side(p_who, x);
BEGIN
	IF (side = 'subject' AND x.subject_answer IS NOT NULL)
	    OR (side = 'candidate' AND x.candidate_answer IS NOT NULL) THEN
		PERFORM ch.fail(409, 'This side answered already.', NULL,
		    'proposal-answered');
	END IF;
	UPDATE ch.proposal SET
	    subject_answer = CASE WHEN side = 'subject' THEN p_answer
		ELSE subject_answer END,
	    subject_answered_at = CASE WHEN side = 'subject' THEN now()
		ELSE subject_answered_at END,
	    subject_answered_by = CASE WHEN side = 'subject'
		THEN p_who->>'actor' ELSE subject_answered_by END,
	    candidate_answer = CASE WHEN side = 'candidate' THEN p_answer
		ELSE candidate_answer END,
	    candidate_answered_at = CASE WHEN side = 'candidate' THEN now()
		ELSE candidate_answered_at END,
	    candidate_answered_by = CASE WHEN side = 'candidate'
		THEN p_who->>'actor' ELSE candidate_answered_by END
	WHERE id = x.id RETURNING * INTO x;
	RETURN x;
END
$$;

-- POST /v1/proposals/{id}/accept {}: the second acceptance creates the
-- placement or tandem, with the capacity rules of those tables, in this
-- transaction.
CREATE OR REPLACE FUNCTION ch.proposal_accept(p_who jsonb, p_key text, p_hash text,
    p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	x	ch.proposal;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	x := ch.proposal_answered(p_who, p_id, 'accepted');
	PERFORM ch.audit_by(p_who, 'proposal.accepted', 'proposal', x.id,
	    x.district_id, jsonb_build_object('side',
	    ch.proposal_side(p_who, x)));

	IF x.subject_answer = 'accepted' AND x.candidate_answer = 'accepted'
	THEN
		PERFORM ch.proposal_fulfil(p_who, x);
	END IF;
	RETURN ch.idem_finish(p_who, p_key, p_hash,
	    ch.proposal_result(p_who, x));
END
$$;

-- POST /v1/proposals/{id}/decline {"reason"}: either side; the pair is
-- never proposed again.
CREATE OR REPLACE FUNCTION ch.proposal_decline(p_who jsonb, p_key text, p_hash text,
    p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	x	ch.proposal;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	x := ch.proposal_answered(p_who, p_id, 'declined');
	UPDATE ch.proposal SET status = 'declined',
	    decline_reason = p_body->>'reason'
	WHERE id = x.id;
	PERFORM ch.audit_by(p_who, 'proposal.declined', 'proposal', x.id,
	    x.district_id, jsonb_build_object('side',
	    ch.proposal_side(p_who, x), 'reason', p_body->>'reason'));
	RETURN ch.idem_finish(p_who, p_key, p_hash,
	    ch.proposal_result(p_who, x));
END
$$;

-- The rules for a proposal's pair as the rows stand now.
CREATE OR REPLACE FUNCTION ch.proposal_errors(x ch.proposal) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	p	ch.participant;
	f	ch.offer;
	m	ch.mentor;
BEGIN
	SELECT * INTO p FROM ch.participant WHERE id = x.participant_id;
	IF x.programme = 'partners' THEN
		SELECT * INTO f FROM ch.offer WHERE id = x.offer_id;
		RETURN ch.placement_errors(p, f);
	END IF;
	SELECT * INTO m FROM ch.mentor WHERE id = x.mentor_id;
	RETURN ch.tandem_errors(p, m);
END
$$;

-- ---------------------------------------------------------------------
-- The review workflow checks the same rules: at approval, and when the
-- second acceptance creates the placement or tandem.

CREATE OR REPLACE FUNCTION ch.proposal_approve(p_who jsonb, p_key text,
    p_hash text, p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	x	ch.proposal;
	e	jsonb;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	x := ch.proposal_to_review(p_who, p_id, ARRAY['pending']);
	IF NOT ch.participant_matchable((SELECT p FROM ch.participant p
	    WHERE p.id = x.participant_id)) THEN
		PERFORM ch.fail(409, 'The participant cannot be matched now: '
		    'paused, closed, or without consent to matching.', NULL,
		    'proposal-impossible');
	END IF;
	e := ch.proposal_errors(x);
	IF jsonb_array_length(e) > 0 THEN
		PERFORM ch.fail(409, 'The pair does not fit any more.', e,
		    'proposal-impossible');
	END IF;
	IF ch.proposal_free_places(x) <= 0 THEN
		PERFORM ch.fail(409, 'The candidate has no free place left.',
		    NULL, 'capacity-exhausted');
	END IF;
	UPDATE ch.proposal SET status = 'approved', reviewed_at = now(),
	    reviewed_by = p_who->>'actor', review_note = p_body->>'note'
	WHERE id = x.id;
	PERFORM ch.audit_by(p_who, 'proposal.approved', 'proposal', x.id,
	    x.district_id);
	RETURN ch.idem_finish(p_who, p_key, p_hash,
	    ch.proposal_result(p_who, x));
END
$$;

CREATE OR REPLACE FUNCTION ch.proposal_fulfil(p_who jsonb, x ch.proposal)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
DECLARE
	p	ch.participant;
	f	ch.offer;
	m	ch.mentor;
	pl	ch.placement;
	t	ch.tandem;
BEGIN
	-- Only what the workflow allows: the stored proposal, approved and
	-- accepted by both sides, whatever row the caller passed.
	SELECT * INTO x FROM ch.proposal WHERE id = x.id FOR UPDATE;
	IF NOT FOUND OR x.status <> 'approved'
	    OR x.subject_answer IS DISTINCT FROM 'accepted'
	    OR x.candidate_answer IS DISTINCT FROM 'accepted' THEN
		PERFORM ch.fail(409, 'The proposal is not accepted by both '
		    'sides.', NULL, 'proposal-impossible');
	END IF;
	SELECT * INTO p FROM ch.participant WHERE id = x.participant_id
	FOR UPDATE;
	IF NOT ch.participant_matchable(p) THEN
		PERFORM ch.fail(409, 'The participant cannot be placed now: '
		    'paused, closed, or without consent to matching.', NULL,
		    'proposal-impossible');
	END IF;
	IF x.programme = 'partners' THEN
		SELECT * INTO f FROM ch.offer WHERE id = x.offer_id
		FOR UPDATE;
		pl := ch.placement_insert(p_who, p, f, NULL, NULL, x.id);
	ELSE
		SELECT * INTO m FROM ch.mentor WHERE id = x.mentor_id
		FOR UPDATE;
		t := ch.tandem_insert(p_who, p, m, NULL, NULL, x.id);
	END IF;
	UPDATE ch.proposal SET status = 'accepted',
	    placement_id = pl.id, tandem_id = t.id
	WHERE id = x.id;
END
$$;

-- Invalidates the open proposals of a person, an offer or a mentor whose
-- pair no longer fits.
CREATE OR REPLACE FUNCTION ch.proposals_recheck(p_reason text, p_participant uuid,
    p_offer uuid, p_mentor uuid)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
AS $$
	UPDATE ch.proposal pr SET status = 'invalidated',
	    invalidated_reason = p_reason
	WHERE pr.status IN ('pending', 'approved')
	    AND (p_participant IS NULL OR pr.participant_id = p_participant)
	    AND (p_offer IS NULL OR pr.offer_id = p_offer)
	    AND (p_mentor IS NULL OR pr.mentor_id = p_mentor)
	    AND jsonb_array_length(ch.proposal_errors(pr)) > 0;
$$;

-- Approved proposals hold places: when fewer places are left than they
-- hold, the ones approved last give theirs up.
CREATE OR REPLACE FUNCTION ch.proposals_over_capacity(p_offer uuid, p_mentor uuid,
    p_free integer)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
AS $$
	UPDATE ch.proposal pr SET status = 'invalidated',
	    invalidated_reason = 'capacity_reduced'
	WHERE pr.id IN (SELECT y.id FROM ch.proposal y
	    WHERE y.status = 'approved' AND y.expires_at > now()
		AND (y.offer_id = p_offer OR y.mentor_id = p_mentor)
	    ORDER BY y.reviewed_at, y.id
	    OFFSET greatest(p_free, 0));
$$;

CREATE OR REPLACE FUNCTION ch.offer_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	PERFORM ch.proposals_recheck(CASE WHEN NEW.status <> 'open'
	    THEN 'offer_not_open' ELSE 'no_longer_fits' END, NULL, NEW.id,
	    NULL);
	IF NEW.capacity < OLD.capacity THEN
		PERFORM ch.proposals_over_capacity(NEW.id, NULL,
		    NEW.capacity - NEW.active_placements);
	END IF;
	RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER offer_invalidates AFTER UPDATE ON ch.offer FOR EACH ROW
    WHEN ((OLD.status, OLD.audience, OLD.age_min, OLD.age_max,
	OLD.min_german_level, OLD.languages, OLD.place_id, OLD.online,
	OLD.capacity) IS DISTINCT FROM (NEW.status, NEW.audience,
	NEW.age_min, NEW.age_max, NEW.min_german_level, NEW.languages,
	NEW.place_id, NEW.online, NEW.capacity))
    EXECUTE FUNCTION ch.offer_invalidates();

CREATE OR REPLACE FUNCTION ch.mentor_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	PERFORM ch.proposals_recheck(CASE WHEN NEW.status <> 'active'
	    THEN 'mentor_not_active' ELSE 'no_longer_fits' END, NULL, NULL,
	    NEW.id);
	IF NEW.capacity < OLD.capacity THEN
		PERFORM ch.proposals_over_capacity(NULL, NEW.id,
		    NEW.capacity - NEW.active_tandems);
	END IF;
	RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER mentor_invalidates AFTER UPDATE ON ch.mentor FOR EACH ROW
    WHEN ((OLD.status, OLD.languages, OLD.home_place_id, OLD.online_ok,
	OLD.capacity) IS DISTINCT FROM (NEW.status, NEW.languages,
	NEW.home_place_id, NEW.online_ok, NEW.capacity))
    EXECUTE FUNCTION ch.mentor_invalidates();

CREATE OR REPLACE FUNCTION ch.participant_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	PERFORM ch.person_hold(NEW.id, true);
	IF NEW.status IN ('paused', 'closed') AND OLD.status <> NEW.status THEN
		PERFORM ch.proposals_invalidate('participant_inactive', NEW.id,
		    NULL, NULL);
	END IF;
	PERFORM ch.proposals_recheck('no_longer_fits', NEW.id, NULL, NULL);
	RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER participant_invalidates AFTER UPDATE ON ch.participant
    FOR EACH ROW
    WHEN ((OLD.status, OLD.gender, OLD.birth_year, OLD.languages,
	OLD.home_place_id, OLD.mobility_radius_km) IS DISTINCT FROM
	(NEW.status, NEW.gender, NEW.birth_year, NEW.languages,
	NEW.home_place_id, NEW.mobility_radius_km))
    EXECUTE FUNCTION ch.participant_invalidates();

CREATE OR REPLACE FUNCTION ch.mentee_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	PERFORM ch.person_hold(NEW.participant_id, true);
	PERFORM ch.proposals_recheck('no_longer_fits', NEW.participant_id,
	    NULL, NULL);
	RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER mentee_invalidates AFTER UPDATE ON ch.mentee_profile
    FOR EACH ROW WHEN (OLD.german_level IS DISTINCT FROM NEW.german_level)
    EXECUTE FUNCTION ch.mentee_invalidates();

-- Withdrawing cross_district ends at once what relied on it: open
-- proposals with the other districts' offers and mentors are
-- invalidated, and active placements and tandems there end with the
-- reason consent_withdrawn, so the other district's organisation or
-- mentor reads the person no more. Both are audited under the name of
-- whoever withdrew the consent.
CREATE OR REPLACE FUNCTION ch.consent_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	ended	uuid;
BEGIN
	IF NEW.withdrawn_at IS NULL OR OLD.withdrawn_at IS NOT NULL
	    OR NEW.withdrawal_reason <> 'withdrawn' THEN
		RETURN NEW;
	END IF;
	PERFORM ch.person_hold(NEW.participant_id, true);
	IF NEW.purpose = 'matching' THEN
		PERFORM ch.proposals_invalidate('consent_withdrawn',
		    NEW.participant_id, NULL, NULL);
	ELSIF NEW.purpose = 'cross_district' THEN
		PERFORM ch.proposals_invalidate('consent_withdrawn',
		    NEW.participant_id, NULL, NULL, true);
		FOR ended IN UPDATE ch.placement pl SET status = 'ended',
		    end_reason = 'consent_withdrawn',
		    ended_on = greatest(current_date, pl.started_on)
		    FROM ch.offer f
		    WHERE pl.participant_id = NEW.participant_id
			AND pl.status = 'active' AND f.id = pl.offer_id
			AND f.district_id <> pl.district_id
		    RETURNING pl.id LOOP
			PERFORM ch.audit(NEW.withdrawn_by,
			    NEW.withdrawn_by_role, 'placement.ended',
			    'placement', ended::text, NEW.district_id, NULL,
			    '{"reason": "consent_withdrawn"}');
		END LOOP;
		FOR ended IN UPDATE ch.tandem t SET status = 'ended_early',
		    end_reason = 'consent_withdrawn', outcome = 'none',
		    ended_on = greatest(current_date, t.started_on)
		    FROM ch.mentor m
		    WHERE t.participant_id = NEW.participant_id
			AND t.status = 'active' AND m.id = t.mentor_id
			AND m.district_id <> t.district_id
		    RETURNING t.id LOOP
			PERFORM ch.audit(NEW.withdrawn_by,
			    NEW.withdrawn_by_role, 'tandem.ended', 'tandem',
			    ended::text, NEW.district_id, NULL,
			    '{"reason": "consent_withdrawn"}');
		END LOOP;
	END IF;
	RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER consent_invalidates AFTER UPDATE OF withdrawn_at
	ON ch.consent FOR EACH ROW EXECUTE FUNCTION ch.consent_invalidates();

-- Free places of a proposal's candidate (see 0006), counted for the
-- stored proposal whatever row the caller passed.
CREATE OR REPLACE FUNCTION ch.proposal_free_places(x ch.proposal)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	n	integer;
BEGIN
	SELECT * INTO x FROM ch.proposal y WHERE y.id = x.id;
	IF NOT FOUND THEN
		RETURN 0;
	END IF;
	IF x.programme = 'partners' THEN
		SELECT f.capacity - f.active_placements INTO n FROM ch.offer f
		WHERE f.id = x.offer_id FOR UPDATE;
		RETURN n - (SELECT count(*) FROM ch.proposal y
		    WHERE y.offer_id = x.offer_id AND y.status = 'approved'
		    AND y.expires_at > now() AND y.id <> x.id);
	END IF;
	SELECT m.capacity - m.active_tandems INTO n FROM ch.mentor m
	WHERE m.id = x.mentor_id FOR UPDATE;
	RETURN n - (SELECT count(*) FROM ch.proposal y
	    WHERE y.mentor_id = x.mentor_id AND y.status = 'approved'
	    AND y.expires_at > now() AND y.id <> x.id);
END
$$;
CREATE OR REPLACE FUNCTION ch.proposal_person(p_who jsonb, x ch.proposal)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog AS $$
BEGIN
	-- The stored proposal decides, whatever row the caller passed.
	SELECT * INTO x FROM ch.proposal y WHERE y.id = x.id;
	IF NOT FOUND OR NOT ch.proposal_visible(x) OR NOT (ch.is_staff(p_who,
	    x.district_id) OR p_who->>'role' = 'participant'
	    OR ch.proposal_status(x) = 'approved') THEN
		RETURN NULL;
	END IF;
	RETURN (SELECT jsonb_build_object('id', p.id,
	    'display_name', p.display_name, 'languages', p.languages)
	    FROM ch.participant p WHERE p.id = x.participant_id);
END
$$;

CREATE OR REPLACE FUNCTION ch.proposal_json(p_who jsonb, x ch.proposal)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	staff	boolean := ch.is_staff(p_who, x.district_id);
	cand	jsonb;
BEGIN
	IF x.programme = 'partners' THEN
		SELECT jsonb_build_object('id', f.id, 'title', f.title,
		    'organization_id', f.organization_id,
		    'organization_name', o.name, 'district_id', f.district_id,
		    'status', f.status)
		INTO cand FROM ch.offer f
		JOIN ch.organization o ON o.id = f.organization_id
		WHERE f.id = x.offer_id;
	ELSE
		SELECT jsonb_build_object('id', m.id, 'display_name',
		    m.display_name, 'district_id', m.district_id,
		    'status', m.status)
		INTO cand FROM ch.mentor m WHERE m.id = x.mentor_id;
	END IF;
	RETURN jsonb_build_object('id', x.id, 'job_id', x.job_id,
	    'programme', x.programme, 'status', ch.proposal_status(x),
	    'participant_id', x.participant_id,
	    'participant', ch.proposal_person(p_who, x),
	    'offer_id', x.offer_id, 'mentor_id', x.mentor_id,
	    'candidate', cand, 'district_id', x.district_id,
	    'score', round(x.score / 100.0, 2), 'rank', x.rank,
	    'explanation', x.explanation,
	    'reviewed_at', x.reviewed_at,
	    'reviewed_by', CASE WHEN staff THEN x.reviewed_by END,
	    'review_reason', x.review_reason,
	    'review_note', CASE WHEN staff THEN x.review_note END,
	    'subject_answer', x.subject_answer,
	    'subject_answered_at', x.subject_answered_at,
	    'candidate_answer', x.candidate_answer,
	    'candidate_answered_at', x.candidate_answered_at,
	    'decline_reason', x.decline_reason,
	    'invalidated_reason', x.invalidated_reason,
	    'placement_id', x.placement_id, 'tandem_id', x.tandem_id,
	    'expires_at', x.expires_at, 'version', x.version,
	    'created_at', x.created_at, 'updated_at', x.updated_at);
END
$$;
