-- Demo data for Connecting Women: volunteer mentors from administrations,
-- associations and businesses, mentee profiles of women among the demo
-- participants, tandems with their meetings, and the women's network
-- events with registrations. Everything is fictitious: mentors appear
-- under pseudonyms, notes describe no real person.
--
-- Deterministic and idempotent: fixed ids, ON CONFLICT DO NOTHING, and no
-- random(); mentee profiles are derived from the participants of
-- 0003_partners.sql with arithmetic over fixed lists. Dates are relative
-- to the day of the first load. Loading the file again changes nothing.
--
-- Ids (the last group is written in decimal digits):
--   a0000000-0000-4000-8000-0000000001NN  mentor accounts NN = 02..33
--       (mentor.NN@demo.example); mentor 01 is the demo mentor account
--       a0000000-0000-4000-8000-000000000007 (Erfurt)
--   90000000-0000-4000-8000-0000000000NN  mentor profile of mentor NN
--   91000000-0000-4000-8000-0000000000TT  tandems (01-25 active, 26-35
--       ended)
--   93000000-0000-4000-8000-000000000TTI  meeting I of tandem TT
--   92000000-0000-4000-8000-0000000000EE  events
--   94000000-0000-4000-8000-00000000EEII  registration II for event EE
--
-- Availability is a week mask (ch.week_mask): bit day * 3 + part, Monday
-- = day 0; morning, afternoon, evening = part 0, 1, 2.

-- ---------------------------------------------------------------------
-- Mentors: number, district, pseudonym, employer sector, KldB field,
-- support areas, languages, capacity, week, home town ('postal code',
-- 'name'), online, status, days since the application and since the
-- approval (NULL: not approved).

CREATE TEMP TABLE demo_w_mentor (
	k		integer PRIMARY KEY,
	district_id	text NOT NULL,
	display_name	text NOT NULL,
	employer_sector	text NOT NULL,
	occupational_field text NOT NULL,
	support_areas	text[] NOT NULL,
	languages	jsonb NOT NULL,
	capacity	integer NOT NULL,
	week		jsonb NOT NULL,
	postal_code	text NOT NULL,
	town		text NOT NULL,
	online_ok	boolean NOT NULL,
	status		text NOT NULL,
	applied_days	integer NOT NULL,
	approved_days	integer
);
INSERT INTO demo_w_mentor VALUES
	-- Erfurt
	(1, '16051', 'Katrin M.', 'public_administration', '73',
	    '{job_search,recognition}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b2"}]',
	    2, '{"wed": ["evening"]}', '99084', 'Erfurt', true, 'active',
	    240, 230),
	(2, '16051', 'Sabine W.', 'public_administration', '73',
	    '{job_search,networking,leadership}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "c1"}]',
	    3, '{"tue": ["evening"], "thu": ["evening"]}', '99089', 'Erfurt',
	    true, 'active', 330, 320),
	(3, '16051', 'Anja K.', 'association', '83',
	    '{language_practice,networking}',
	    '[{"code": "de", "level": "native"}, {"code": "ru", "level": "c1"},
	      {"code": "en", "level": "b1"}]',
	    2, '{"mon": ["afternoon"], "wed": ["afternoon"]}', '99091',
	    'Erfurt', false, 'active', 300, 290),
	(4, '16051', 'Claudia S.', 'business', '71',
	    '{self_employment,job_search,networking}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "c1"}]',
	    2, '{"thu": ["evening"], "sat": ["morning"]}', '99096', 'Erfurt',
	    true, 'active', 310, 295),
	(5, '16051', 'Heike B.', 'health', '81',
	    '{recognition,vocational_training}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b1"}]',
	    2, '{"fri": ["afternoon"], "sat": ["morning"]}', '99086', 'Erfurt',
	    false, 'active', 320, 300),
	(6, '16051', 'Nicole F.', 'education', '84',
	    '{recognition,studies,language_practice}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "c1"},
	      {"code": "fr", "level": "b1"}]',
	    3, '{"mon": ["evening"], "wed": ["evening"]}', '99097', 'Erfurt',
	    true, 'active', 200, 185),
	(7, '16051', 'Ulrike H.', 'public_administration', '73',
	    '{job_search,recognition}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b2"},
	      {"code": "uk", "level": "b1"}]',
	    1, '{"tue": ["afternoon"]}', '99084', 'Erfurt', false, 'active',
	    340, 330),
	(8, '16051', 'Mandy R.', 'business', '62',
	    '{job_search,vocational_training}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "a2"}]',
	    2, '{"mon": ["evening"], "sat": ["afternoon"]}', '99099', 'Erfurt',
	    false, 'active', 90, 80),
	(9, '16051', 'Leyla A.', 'association', '83',
	    '{networking,language_practice,job_search}',
	    '[{"code": "de", "level": "native"}, {"code": "tr", "level": "native"},
	      {"code": "en", "level": "b2"}]',
	    1, '{"wed": ["evening"], "sun": ["afternoon"]}', '99085', 'Erfurt',
	    true, 'active', 150, 140),
	(10, '16051', 'Jana P.', 'culture', '91',
	    '{networking}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b2"}]',
	    1, '{"thu": ["evening"]}', '99092', 'Erfurt', true, 'applied',
	    6, NULL),
	(11, '16051', 'Susanne L.', 'public_administration', '72',
	    '{job_search,self_employment}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b2"}]',
	    2, '{"tue": ["evening"], "fri": ["afternoon"]}', '99094', 'Erfurt',
	    true, 'active', 260, 250),
	-- Landkreis Gotha
	(12, '16067', 'Birgit T.', 'public_administration', '73',
	    '{job_search,recognition,networking}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b1"}]',
	    2, '{"mon": ["afternoon"], "thu": ["afternoon"]}', '99867', 'Gotha',
	    false, 'active', 280, 270),
	(13, '16067', 'Karin G.', 'health', '81',
	    '{recognition,vocational_training}',
	    '[{"code": "de", "level": "native"}, {"code": "ru", "level": "b2"}]',
	    2, '{"wed": ["afternoon"], "sat": ["morning"]}', '99880',
	    'Waltershausen', false, 'active', 250, 240),
	(14, '16067', 'Melanie V.', 'business', '43',
	    '{job_search,studies,leadership}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "c1"}]',
	    2, '{"tue": ["evening"], "thu": ["evening"]}', '99192',
	    'Neudietendorf', true, 'active', 230, 220),
	(15, '16067', 'Doreen Z.', 'education', '83',
	    '{language_practice,vocational_training}',
	    '[{"code": "de", "level": "native"}]',
	    1, '{"fri": ["afternoon"]}', '99885', 'Ohrdruf', false, 'paused',
	    360, 350),
	(16, '16067', 'Yasemin Ö.', 'association', '83',
	    '{networking,language_practice,job_search}',
	    '[{"code": "de", "level": "native"}, {"code": "tr", "level": "native"},
	      {"code": "ar", "level": "b1"}]',
	    2, '{"mon": ["evening"], "sat": ["afternoon"]}', '99867', 'Gotha',
	    true, 'active', 120, 110),
	-- Landkreis Nordhausen
	(17, '16062', 'Petra N.', 'public_administration', '73',
	    '{job_search,recognition}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b2"}]',
	    2, '{"tue": ["afternoon"], "thu": ["afternoon"]}', '99734',
	    'Nordhausen', false, 'active', 320, 310),
	(18, '16062', 'Ines J.', 'health', '82',
	    '{vocational_training,job_search}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "a2"}]',
	    2, '{"wed": ["evening"], "sat": ["morning"]}', '99734',
	    'Nordhausen', false, 'active', 330, 315),
	(19, '16062', 'Elena S.', 'association', '83',
	    '{language_practice,networking,recognition}',
	    '[{"code": "de", "level": "native"}, {"code": "ru", "level": "native"},
	      {"code": "uk", "level": "b2"}]',
	    3, '{"mon": ["afternoon"], "wed": ["afternoon"], "fri": ["morning"]}',
	    '99762', 'Niedersachswerfen', true, 'active', 210, 200),
	(20, '16062', 'Kerstin D.', 'business', '72',
	    '{self_employment,job_search}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b2"}]',
	    1, '{"thu": ["evening"]}', '99765', 'Heringen/Helme', true,
	    'active', 160, 150),
	(21, '16062', 'Franziska O.', 'education', '84',
	    '{studies,language_practice}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "c1"},
	      {"code": "es", "level": "b1"}]',
	    2, '{"tue": ["evening"], "sun": ["morning"]}', '99734',
	    'Nordhausen', true, 'applied', 12, NULL),
	-- Landkreis Saalfeld-Rudolstadt
	(22, '16073', 'Simone A.', 'public_administration', '73',
	    '{job_search,recognition,networking}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b1"}]',
	    2, '{"mon": ["afternoon"], "wed": ["evening"]}', '07318',
	    'Saalfeld/Saale', false, 'active', 290, 280),
	(23, '16073', 'Antje C.', 'culture', '92',
	    '{networking,self_employment}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "c1"}]',
	    2, '{"thu": ["evening"], "sat": ["afternoon"]}', '07407',
	    'Rudolstadt', true, 'active', 330, 320),
	(24, '16073', 'Martina E.', 'health', '81',
	    '{recognition,vocational_training,job_search}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b2"}]',
	    2, '{"tue": ["afternoon"], "fri": ["afternoon"]}', '07422',
	    'Bad Blankenburg', false, 'active', 180, 170),
	(25, '16073', 'Gabriele H.', 'public_administration', '73',
	    '{job_search,recognition}',
	    '[{"code": "de", "level": "native"}]',
	    1, '{"wed": ["morning"]}', '07426', 'Königsee', false, 'paused',
	    350, 340),
	(26, '16073', 'Tatjana W.', 'association', '83',
	    '{language_practice,recognition,job_search}',
	    '[{"code": "de", "level": "c2"}, {"code": "ru", "level": "native"},
	      {"code": "uk", "level": "b2"}]',
	    2, '{"mon": ["evening"], "thu": ["evening"]}', '07407', 'Rudolstadt',
	    true, 'active', 140, 130),
	-- Unstrut-Hainich-Kreis
	(27, '16064', 'Christine F.', 'public_administration', '73',
	    '{job_search,recognition}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b2"}]',
	    2, '{"tue": ["afternoon"], "thu": ["afternoon"]}', '99974',
	    'Mühlhausen', false, 'active', 270, 260),
	(28, '16064', 'Silke R.', 'business', '62',
	    '{job_search,vocational_training}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "a2"}]',
	    2, '{"mon": ["evening"], "wed": ["evening"]}', '99947',
	    'Bad Langensalza', false, 'active', 200, 190),
	(29, '16064', 'Monika B.', 'education', '84',
	    '{language_practice,studies}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b1"},
	      {"code": "ru", "level": "b1"}]',
	    1, '{"tue": ["morning"], "thu": ["morning"]}', '99974',
	    'Mühlhausen', false, 'retired', 520, 510),
	(30, '16064', 'Daniela K.', 'other', '71',
	    '{vocational_training,self_employment}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b1"}]',
	    1, '{"wed": ["afternoon"]}', '99955', 'Bad Tennstedt', true,
	    'active', 100, 90),
	-- Kyffhäuserkreis
	(31, '16065', 'Anke L.', 'public_administration', '73',
	    '{job_search,recognition,networking}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b2"}]',
	    2, '{"mon": ["afternoon"], "thu": ["evening"]}', '99706',
	    'Sondershausen', true, 'active', 260, 250),
	(32, '16065', 'Sandra M.', 'health', '81',
	    '{vocational_training,recognition}',
	    '[{"code": "de", "level": "native"}, {"code": "en", "level": "b1"}]',
	    1, '{"sat": ["morning"]}', '06567', 'Bad Frankenhausen', false,
	    'applied', 3, NULL),
	(33, '16065', 'Bärbel G.', 'association', '83',
	    '{language_practice,networking}',
	    '[{"code": "de", "level": "native"}, {"code": "ru", "level": "b2"}]',
	    2, '{"tue": ["afternoon"], "fri": ["afternoon"]}', '06556', 'Artern',
	    false, 'active', 300, 290);

ALTER TABLE demo_w_mentor ADD COLUMN user_id uuid, ADD COLUMN id uuid;
UPDATE demo_w_mentor SET
    user_id = CASE WHEN k = 1
	THEN 'a0000000-0000-4000-8000-000000000007'::uuid
	ELSE ('a0000000-0000-4000-8000-0000000001' || lpad(k::text, 2, '0'))
	    ::uuid END,
    id = ('90000000-0000-4000-8000-0000000000' || lpad(k::text, 2, '0'))
	::uuid;

-- ---------------------------------------------------------------------
-- Events: number, district, kind, title, description, town (NULL:
-- online), days from today, local hour, capacity, status, and who
-- registers in this order (mentor numbers; 0 = the demo participant
-- account) and who cancelled again. Registrations beyond the capacity
-- wait.

CREATE TEMP TABLE demo_w_event (
	k		integer PRIMARY KEY,
	district_id	text NOT NULL,
	kind		text NOT NULL,
	title		text NOT NULL,
	description	text NOT NULL,
	postal_code	text,
	town		text,
	days		integer NOT NULL,
	hour		integer NOT NULL,
	capacity	integer NOT NULL,
	status		text NOT NULL,
	who		integer[] NOT NULL,
	cancelled	integer[] NOT NULL
);
INSERT INTO demo_w_event VALUES
	(1, '16051', 'kick_off', 'Auftakt: neue Tandems in Erfurt',
	    'Mentorinnen und Mentees lernen sich kennen; Vorstellung des '
	    'Programms und der Ansprechpartnerinnen in der Stadtverwaltung.',
	    '99084', 'Erfurt', -95, 17, 40, 'planned',
	    '{1,2,3,4,5,6,7,0,8,9,11,10,14}', '{}'),
	(2, '16051', 'network_meeting',
	    'Netzwerktreffen: Frauen in Verwaltung und Wirtschaft',
	    'Austausch in lockerer Runde mit Frauen aus Ämtern, Vereinen und '
	    'Unternehmen. Kinderbetreuung vor Ort.',
	    '99084', 'Erfurt', 7, 17, 30, 'planned',
	    '{2,4,8,7,11,0,12}', '{8}'),
	(3, '16051', 'workshop', 'Tandem-Workshop: Bewerbungsunterlagen',
	    'Lebenslauf und Anschreiben gemeinsam im Tandem überarbeiten. '
	    'Bitte Laptop oder Unterlagen mitbringen.',
	    '99085', 'Erfurt', 14, 17, 8, 'planned',
	    '{2,0,3,5,6,9,11,7,1,4}', '{}'),
	(4, '16051', 'workshop',
	    'Online-Workshop: Anerkennung ausländischer Berufsabschlüsse',
	    'Wege zur Anerkennung, zuständige Stellen in Thüringen und '
	    'Fördermöglichkeiten; mit Fragerunde.',
	    NULL, NULL, 21, 18, 25, 'planned',
	    '{5,6,7,13,19,24,26,0}', '{}'),
	(5, '16067', 'network_meeting',
	    'Frauennetzwerk Gotha: Austausch bei Kaffee und Kuchen',
	    'Offenes Treffen für Mentorinnen, Mentees und Interessierte.',
	    '99867', 'Gotha', 10, 17, 20, 'planned',
	    '{12,13,14,16,15}', '{}'),
	(6, '16067', 'workshop', 'Workshop: Vorstellungsgespräche üben',
	    'Rollenspiele zu typischen Fragen im Vorstellungsgespräch.',
	    '99880', 'Waltershausen', -40, 17, 15, 'planned',
	    '{12,13,16,14}', '{}'),
	(7, '16062', 'kick_off',
	    'Auftakt: Mentoring für Frauen im Landkreis Nordhausen',
	    'Start der neuen Tandems; die Koordinatorin stellt den Ablauf vor.',
	    '99734', 'Nordhausen', 12, 17, 25, 'planned',
	    '{17,18,19,20,21}', '{}'),
	(8, '16073', 'network_meeting', 'Netzwerktreffen Saale-Schwarza',
	    'Kennenlernen und Austausch über Arbeit und Ausbildung in der '
	    'Region.',
	    '07407', 'Rudolstadt', 9, 17, 20, 'planned',
	    '{22,23,24,26}', '{}'),
	(9, '16073', 'closing', 'Abschluss des Tandemjahrgangs',
	    'Rückblick auf ein Jahr Tandems mit Urkunden für die Mentorinnen.',
	    '07318', 'Saalfeld/Saale', -100, 17, 30, 'planned',
	    '{22,23,24,25,26}', '{}'),
	(10, '16064', 'workshop',
	    'Workshop: Selbstständig mit Migrationsgeschichte',
	    'Geschäftsidee, Gewerbeanmeldung und Beratungsangebote. Fällt '
	    'leider aus und wird nachgeholt.',
	    '99947', 'Bad Langensalza', 16, 17, 12, 'cancelled', '{}', '{}'),
	(11, '16064', 'network_meeting', 'Netzwerktreffen Unstrut-Hainich',
	    'Austausch der Tandems im Landkreis und neue Mentorinnen '
	    'kennenlernen.',
	    '99974', 'Mühlhausen', 25, 17, 20, 'planned',
	    '{27,28,30}', '{}'),
	(12, '16065', 'network_meeting',
	    'Frauencafé Kyffhäuser: Beruf und Familie',
	    'Gespräche über Teilzeit, Kinderbetreuung und Wiedereinstieg.',
	    '99706', 'Sondershausen', 18, 17, 15, 'planned',
	    '{31,33,32}', '{}'),
	(13, '16051', 'closing', 'Abschlussfeier: ein Jahr Tandems in Erfurt',
	    'Die Tandems erzählen, was sie erreicht haben; anschließend Buffet.',
	    '99084', 'Erfurt', -120, 17, 40, 'planned',
	    '{1,2,3,5,7,11,0}', '{}'),
	(14, '16062', 'workshop',
	    'Online-Workshop: Arbeitsvertrag und Gehalt',
	    'Was in einem Arbeitsvertrag steht und wie man über das Gehalt '
	    'spricht.',
	    NULL, NULL, 28, 18, 30, 'planned',
	    '{17,19,31,33,22}', '{}');

-- The towns come from the reference places (imported before the demo
-- data); refuse to go on without them.
DO $$
DECLARE
	missing text;
BEGIN
	SELECT string_agg(DISTINCT d.postal_code || ' ' || d.town, ', ')
	INTO missing
	FROM (SELECT postal_code, town FROM demo_w_mentor
	    UNION SELECT postal_code, town FROM demo_w_event
		WHERE postal_code IS NOT NULL) d
	WHERE NOT EXISTS (SELECT 1 FROM ch.place pl
	    WHERE pl.postal_code = d.postal_code AND pl.name = d.town);
	IF missing IS NOT NULL THEN
		RAISE EXCEPTION 'demo data needs the reference places (make '
		    'import-places FILE=...); missing: %', missing;
	END IF;
END
$$;

-- ---------------------------------------------------------------------
-- Mentor accounts (password "connecting-humans-demo", as in
-- 0002_users.sql) and profiles. Approved by the Erfurt coordinator.

INSERT INTO ch.app_user (id, email, password_hash, role, district_id,
    locale, created_at, updated_at)
SELECT m.user_id, 'mentor.' || lpad(m.k::text, 2, '0') || '@demo.example',
    '$argon2id$v=19$m=65536,t=2,p=1$QJYVCTXViE91rxhoZQC1Fg$+gSlDkMaoiNj0Js0VYGU3+BpFBxuv6WZ6Ng6sjJnoeQ',
    'mentor', m.district_id, 'de',
    now() - interval '1 day' * (m.applied_days + 1),
    now() - interval '1 day' * (m.applied_days + 1)
FROM demo_w_mentor m
WHERE m.k > 1
ORDER BY m.k
ON CONFLICT DO NOTHING;

INSERT INTO ch.mentor (id, user_id, district_id, display_name,
    employer_sector, occupational_field, support_areas, languages,
    capacity, availability, home_place_id, online_ok, status, approved_at,
    approved_by, created_at, updated_at)
SELECT m.id, m.user_id, m.district_id, m.display_name, m.employer_sector,
    m.occupational_field, m.support_areas, m.languages, m.capacity,
    ch.week_mask(m.week), pl.id, m.online_ok, m.status,
    now() - interval '1 day' * m.approved_days,
    CASE WHEN m.approved_days IS NOT NULL
	THEN 'a0000000-0000-4000-8000-000000000002' END,
    now() - interval '1 day' * m.applied_days,
    now() - interval '1 day' * coalesce(m.approved_days, m.applied_days)
FROM demo_w_mentor m
JOIN ch.place pl ON pl.postal_code = m.postal_code AND pl.name = m.town
ORDER BY m.k
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------
-- Mentee profiles: women among the demo participants who are not closed
-- cases, with German from A2 up (and every third with A1), the first 96
-- by id. Person 1 (Olena K.) is written out.
--
-- The highest qualification follows the country of origin (read from the
-- native language): a list of qualifications with their DQR level, the
-- occupational field they lead to and whether recognition applies, and
-- per language the qualifications usual among the women who arrive.

CREATE TEMP TABLE demo_w_qualification (
	k		integer PRIMARY KEY,
	label		text NOT NULL,		-- %s: the country
	level		text NOT NULL,
	field		text NOT NULL,		-- KldB main group
	-- regulated: recognition needed for the profession; optional: it
	-- helps; none: nothing to recognise.
	recognition	text NOT NULL,
	goal		text NOT NULL		-- the first goal
);
INSERT INTO demo_w_qualification VALUES
	(1, 'Bachelor Pädagogik (%s)', 'dqr6', '84', 'regulated',
	    'job_search'),
	(2, 'Ausbildung Krankenpflege (%s)', 'dqr4', '81', 'regulated',
	    'job_search'),
	(3, 'Abitur (%s)', 'dqr4', '62', 'none', 'vocational_training'),
	(4, 'Studium Wirtschaftswissenschaften (%s)', 'dqr6', '72', 'optional',
	    'job_search'),
	(5, 'Bachelor Informatik (%s)', 'dqr6', '43', 'optional',
	    'job_search'),
	(6, 'Ausbildung Buchhalterin (%s)', 'dqr4', '72', 'optional',
	    'job_search'),
	(7, 'Schulabschluss nach 9 Jahren (%s)', 'dqr2', '63', 'none',
	    'vocational_training'),
	(8, 'Master Rechtswissenschaften (%s)', 'dqr7', '73', 'optional',
	    'job_search'),
	(9, 'Ausbildung Friseurin (%s)', 'dqr4', '82', 'optional',
	    'job_search'),
	(10, 'Studium Medizin (%s)', 'dqr7', '81', 'regulated', 'recognition'),
	(11, 'College Vorschulpädagogik (%s)', 'dqr5', '83', 'regulated',
	    'job_search'),
	(12, 'Grundschule (%s), Erfahrung als Schneiderin', 'dqr1', '28',
	    'none', 'vocational_training'),
	(13, 'Studium Pharmazie (%s)', 'dqr6', '81', 'regulated',
	    'recognition'),
	(14, 'Bachelor Anglistik (%s)', 'dqr6', '84', 'optional',
	    'job_search'),
	(15, 'Ausbildung Köchin (%s)', 'dqr4', '63', 'optional', 'job_search'),
	(16, 'Mittlere Schule (%s), Erfahrung in der Reinigung', 'dqr2', '54',
	    'none', 'job_search'),
	(17, 'Abitur (%s), Erfahrung im Büro', 'dqr4', '71', 'none',
	    'job_search'),
	(18, 'Bachelor Verwaltungswissenschaft (%s)', 'dqr6', '73', 'optional',
	    'job_search'),
	(19, 'Ausbildung Verkäuferin (%s)', 'dqr3', '62', 'optional',
	    'job_search'),
	(20, 'Ausbildung Erzieherin (%s)', 'dqr4', '83', 'regulated',
	    'job_search');

CREATE TEMP TABLE demo_w_origin (
	native		text PRIMARY KEY,	-- language code
	countries	text[] NOT NULL,
	qualifications	integer[] NOT NULL
);
INSERT INTO demo_w_origin VALUES
	('uk', '{Ukraine}', '{1,2,4,5,10,11,14,18,6,13,17,8,20}'),
	('ru', '{Russland,Kasachstan}', '{1,4,6,11,17,2,19}'),
	('ar', '{Syrien,Syrien,Irak}', '{2,3,13,1,7,10,9,14,16,20}'),
	('prs', '{Afghanistan}', '{7,12,3,11,2,16}'),
	('ps', '{Afghanistan}', '{12,7,16,3}'),
	('fa', '{Iran}', '{4,5,13,14,8,3,1}'),
	('kmr', '{Syrien,Türkei,Irak}', '{7,16,9,3,12,20}'),
	('tr', '{Türkei}', '{3,17,15,19,6}'),
	('ti', '{Eritrea}', '{16,7,2,12}'),
	('so', '{Somalia}', '{12,16,7,3}');

CREATE TEMP TABLE demo_w_mentee AS
WITH woman AS (
	SELECT p.id, p.district_id, p.availability,
	    ('x' || right(p.id::text, 12))::bit(48)::bigint::integer AS n,
	    (SELECT l->>'level' FROM jsonb_array_elements(p.languages) l
		WHERE l->>'code' = 'de' LIMIT 1) AS german,
	    (SELECT l->>'code' FROM jsonb_array_elements(p.languages) l
		WHERE l->>'level' = 'native' LIMIT 1) AS native,
	    EXISTS (SELECT 1 FROM ch.consent c WHERE c.participant_id = p.id
		AND c.purpose = 'cross_district' AND c.withdrawn_at IS NULL)
		AS cross_ok
	FROM ch.participant p
	WHERE p.id::text LIKE 'c0000000-0000-4000-8000-%'
	    AND p.gender = 'female' AND p.status <> 'closed'
), chosen AS (
	SELECT w.*, row_number() OVER (ORDER BY w.id) AS pick
	FROM woman w
	WHERE w.german IS DISTINCT FROM 'a1' OR w.n % 3 = 0
)
SELECT c.id AS participant_id, c.district_id, c.n, c.german, c.availability,
    c.cross_ok,
    -- Tandems pick their mentee by rank in her district: those who may
    -- be mentored from another district come last.
    row_number() OVER (PARTITION BY c.district_id
	ORDER BY c.cross_ok, c.id)::integer AS rank,
    CASE WHEN c.cross_ok THEN row_number() OVER (
	PARTITION BY c.district_id, c.cross_ok ORDER BY c.id)::integer END
	AS cross_rank,
    format(q.label, o.countries[c.n % cardinality(o.countries) + 1])
	AS qualification,
    q.level, q.field, q.recognition, q.goal, c.native
FROM chosen c
LEFT JOIN demo_w_origin o ON o.native = c.native
JOIN demo_w_qualification q ON q.k = coalesce(
    o.qualifications[(c.n * 7 + c.n / 11) % cardinality(o.qualifications)
	+ 1], 3 + c.n % 2 * 4)
WHERE c.pick <= 96;

-- The woman behind the demo participant account: a pre-school teacher
-- from Ukraine on her way to recognition as an Erzieherin.
INSERT INTO ch.mentee_profile (participant_id, district_id,
    target_occupational_field, highest_qualification, qualification_level,
    recognition_status, german_level, goals, work_permit, availability,
    created_at, updated_at)
SELECT p.id, p.district_id, '83', 'Bachelor Vorschulpädagogik (Ukraine)',
    'dqr6', 'pending', 'a2', '{recognition,job_search,language_practice}',
    'allowed', p.availability, now() - interval '80 days',
    now() - interval '80 days'
FROM ch.participant p
WHERE p.id = 'c0000000-0000-4000-8000-000000000001'
ON CONFLICT DO NOTHING;

INSERT INTO ch.mentee_profile (participant_id, district_id,
    target_occupational_field, highest_qualification, qualification_level,
    recognition_status, german_level, goals, work_permit, availability,
    created_at, updated_at)
SELECT x.participant_id, x.district_id, x.field, x.qualification, x.level,
    x.recognition_status, x.german,
    -- One to three goals, each once, in this order.
    (SELECT coalesce(array_agg(g ORDER BY i), '{job_search}')
	FROM (SELECT DISTINCT ON (g) g, i
	    FROM unnest(ARRAY[
		CASE WHEN x.goal = 'recognition'
		    AND x.recognition_status <> 'pending' THEN 'job_search'
		    ELSE x.goal END,
		CASE WHEN x.recognition_status = 'pending' THEN 'recognition'
		    WHEN x.goal <> 'job_search' AND x.n % 3 = 0
			THEN 'job_search'
		    WHEN x.n % 5 = 1 THEN 'networking'
		    WHEN x.n % 5 = 2 AND x.level IN ('dqr6', 'dqr7')
			THEN 'leadership'
		    WHEN x.n % 5 = 3 AND x.level = 'dqr4' THEN 'studies'
		    WHEN x.n % 7 = 4 THEN 'self_employment' END,
		CASE WHEN x.german IN ('a1', 'a2') AND x.n % 2 = 0
		    THEN 'language_practice' END]) WITH ORDINALITY u (g, i)
	    WHERE g IS NOT NULL
	    ORDER BY g, i) goal),
    CASE WHEN x.native = 'uk' THEN CASE WHEN x.n % 11 = 4
	    THEN 'with_approval' ELSE 'allowed' END
	WHEN x.n % 5 IN (0, 1, 2) THEN 'allowed'
	WHEN x.n % 5 = 3 THEN 'with_approval'
	ELSE 'not_yet' END,
    x.availability,
    now() - interval '1 day' * (20 + x.n * 37 % 300),
    now() - interval '1 day' * (20 + x.n * 37 % 300) / 2
FROM (SELECT m.*, CASE WHEN m.recognition = 'none' THEN 'not_needed'
	WHEN m.n % 5 IN (0, 1) THEN 'done'
	WHEN m.recognition = 'regulated' OR m.n % 5 IN (2, 3) THEN 'pending'
	ELSE 'not_needed' END AS recognition_status
    FROM demo_w_mentee m) x
ORDER BY x.participant_id
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------
-- Tandems: number, mentor number, the mentee's district and rank there
-- (cross: her rank among those with a standing cross_district consent),
-- days since the start, planned months, and for ended ones the days since
-- the end, outcome, contract, reason and days since the outcome. A mentor
-- of another district only with the mentee's cross_district consent;
-- never more active tandems than the mentor's capacity (the trigger
-- counts them on her profile, whose CHECK refuses more).

CREATE TEMP TABLE demo_w_tandem (
	k		integer PRIMARY KEY,
	mentor		integer NOT NULL,
	district_id	text NOT NULL,
	rank		integer NOT NULL,
	cross_district	boolean NOT NULL,
	started_days	integer NOT NULL,
	planned_months	integer NOT NULL,
	status		text NOT NULL,
	ended_days	integer,
	outcome		text,
	contract_type	text,
	end_reason	text,
	outcome_days	integer
);
INSERT INTO demo_w_tandem VALUES
	-- Active. Erfurt, rank 1 is Olena K. with the demo mentor.
	(1, 1, '16051', 1, false, 75, 9, 'active', NULL, NULL, NULL, NULL, NULL),
	(2, 2, '16051', 2, false, 200, 12, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(3, 2, '16051', 3, false, 40, 9, 'active', NULL, NULL, NULL, NULL, NULL),
	(4, 3, '16051', 4, false, 130, 6, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(5, 4, '16051', 5, false, 260, 12, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(6, 5, '16051', 6, false, 95, 9, 'active', NULL, NULL, NULL, NULL, NULL),
	(7, 6, '16051', 7, false, 160, 9, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(8, 9, '16051', 8, false, 55, 6, 'active', NULL, NULL, NULL, NULL, NULL),
	(9, 11, '16051', 9, false, 220, 12, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	-- A woman from Erfurt with a mentor from Neudietendorf (Gotha).
	(10, 14, '16051', 1, true, 110, 9, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	-- Landkreis Gotha
	(11, 12, '16067', 1, false, 180, 9, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(12, 13, '16067', 2, false, 70, 6, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(13, 16, '16067', 3, false, 35, 6, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	-- Landkreis Nordhausen
	(14, 17, '16062', 1, false, 240, 12, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(15, 19, '16062', 2, false, 150, 9, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(16, 19, '16062', 3, false, 45, 6, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(17, 20, '16062', 4, false, 120, 9, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	-- Landkreis Saalfeld-Rudolstadt
	(18, 22, '16073', 1, false, 205, 9, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(19, 24, '16073', 2, false, 90, 6, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(20, 26, '16073', 3, false, 60, 9, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(21, 23, '16073', 4, false, 300, 12, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	-- Unstrut-Hainich-Kreis
	(22, 27, '16064', 1, false, 140, 9, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(23, 28, '16064', 2, false, 80, 6, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	-- Kyffhäuserkreis
	(24, 31, '16065', 1, false, 170, 9, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	(25, 33, '16065', 2, false, 50, 6, 'active', NULL, NULL, NULL, NULL,
	    NULL),
	-- Ended.
	(26, 7, '16051', 11, false, 300, 6, 'completed', 115, 'job',
	    'permanent', NULL, 125),
	(27, 15, '16067', 5, false, 290, 6, 'completed', 105,
	    'vocational_training', NULL, NULL, 80),
	(28, 29, '16064', 3, false, 295, 6, 'completed', 110, 'job',
	    'part_time', NULL, 118),
	(29, 25, '16073', 5, false, 280, 6, 'completed', 95, 'internship', NULL,
	    NULL, 100),
	(30, 3, '16051', 12, false, 250, 9, 'ended_early', 190, 'none', NULL,
	    'moved_away', NULL),
	(31, 18, '16062', 5, false, 300, 6, 'completed', 120, 'job',
	    'fixed_term', NULL, 130),
	(32, 5, '16051', 13, false, 285, 6, 'completed', 100, 'studies', NULL,
	    NULL, 90),
	(33, 33, '16065', 3, false, 240, 9, 'ended_early', 170,
	    'language_course', NULL, 'health', 160),
	-- Her mentor withdrew; she has a new tandem since (15).
	(34, 17, '16062', 2, false, 290, 9, 'ended_early', 175, 'none', NULL,
	    'mentor_withdrew', NULL),
	(35, 2, '16051', 14, false, 270, 6, 'completed', 85, 'job', 'mini_job',
	    NULL, 95);

INSERT INTO ch.tandem (id, mentor_id, participant_id, district_id,
    mentor_user_id, status, started_on, planned_months, ended_on,
    end_reason, outcome, contract_type, outcome_date, created_by,
    created_at, updated_at)
SELECT ('91000000-0000-4000-8000-0000000000' || lpad(t.k::text, 2, '0'))
	::uuid,
    mt.id, x.participant_id, x.district_id, mt.user_id, t.status,
    current_date - t.started_days, t.planned_months,
    current_date - t.ended_days, t.end_reason, t.outcome, t.contract_type,
    current_date - t.outcome_days,
    'a0000000-0000-4000-8000-000000000002',
    (current_date - t.started_days) + time '10:00',
    (current_date - coalesce(t.ended_days, t.started_days)) + time '10:00'
FROM demo_w_tandem t
JOIN demo_w_mentor dm ON dm.k = t.mentor
JOIN ch.mentor mt ON mt.id = dm.id
JOIN demo_w_mentee x ON x.district_id = t.district_id
    AND CASE WHEN t.cross_district THEN x.cross_rank ELSE x.rank END
	= t.rank
JOIN ch.mentee_profile mp ON mp.participant_id = x.participant_id
WHERE (t.status = 'active' AND mt.status = 'active')
    OR (t.status <> 'active' AND mt.approved_at IS NOT NULL)
ORDER BY t.k
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------
-- Meetings: two to six per tandem, spread between its start and its end
-- (or today), written by the mentor. The first is the getting to know.

CREATE TEMP TABLE demo_w_topic (
	k		integer PRIMARY KEY,
	topics		text[] NOT NULL,
	notes		text NOT NULL
);
INSERT INTO demo_w_topic VALUES
	(0, '{other,networking}',
	    'Kennenlernen im Café, Erwartungen und Ziele für das Tandem '
	    'besprochen.'),
	(1, '{application_documents}',
	    'Lebenslauf gemeinsam überarbeitet, Anschreiben für zwei Stellen '
	    'entworfen.'),
	(2, '{recognition}',
	    'Unterlagen für die Anerkennung zusammengestellt; Termin bei der '
	    'Anerkennungsberatung vereinbart.'),
	(3, '{interview_practice,workplace_culture}',
	    'Vorstellungsgespräch geübt, Fragen zu Arbeitszeiten und '
	    'Probezeit.'),
	(4, '{vocational_training}',
	    'Über Ausbildungsplätze gesprochen, Infotag der Berufsschule '
	    'notiert.'),
	(5, '{networking}',
	    'Gemeinsam beim Netzwerktreffen, zwei neue Kontakte geknüpft.'),
	(6, '{language}',
	    'Deutsch im Alltag geübt: Telefonat mit dem Jobcenter vorbereitet.'),
	(7, '{workplace_culture}',
	    'Arbeitskultur erklärt: Pünktlichkeit, Du und Sie, E-Mails im '
	    'Büro.'),
	(8, '{family_and_work}',
	    'Vereinbarkeit von Familie und Beruf: Kita-Platz und Teilzeit.'),
	(9, '{job_search}',
	    'Stellenportale durchgesehen, Suchprofil bei der Arbeitsagentur '
	    'angelegt.'),
	(10, '{studies,recognition}',
	    'Zugang zum Studium besprochen, Beratung an der Hochschule '
	    'vereinbart.'),
	(11, '{self_employment}',
	    'Geschäftsidee durchgesprochen, Gründungsberatung der IHK '
	    'empfohlen.');

INSERT INTO ch.tandem_meeting (id, tandem_id, district_id, mentor_user_id,
    participant_id, held_on, duration_minutes, format, topics, notes,
    created_by, created_at, updated_at)
SELECT ('93000000-0000-4000-8000-000000000' || lpad((t.k * 10 + s.i)::text,
	3, '0'))::uuid,
    tn.id, tn.district_id, tn.mentor_user_id, tn.participant_id,
    s.held_on,
    (ARRAY[60, 90, 45, 120, 60, 30, 75, 90])[(t.k * 3 + s.i) % 8 + 1],
    CASE WHEN mt.online_ok AND (t.k + s.i) % 3 = 0 THEN 'online'
	WHEN (t.k + s.i) % 7 = 0 THEN 'phone'
	ELSE 'in_person' END,
    tp.topics, tp.notes, tn.mentor_user_id::text,
    s.held_on + time '20:00', s.held_on + time '20:00'
FROM demo_w_tandem t
JOIN ch.tandem tn ON tn.id = ('91000000-0000-4000-8000-0000000000'
    || lpad(t.k::text, 2, '0'))::uuid
JOIN ch.mentor mt ON mt.id = tn.mentor_id
CROSS JOIN LATERAL (VALUES (coalesce(tn.ended_on, current_date)
    - tn.started_on)) sp (days)
CROSS JOIN LATERAL (VALUES (least(6, 2 + sp.days / 50))) c (meetings)
CROSS JOIN LATERAL (
	SELECT i, tn.started_on + sp.days * i / (c.meetings + 1) AS held_on
	FROM generate_series(1, c.meetings) i) s
JOIN demo_w_topic tp ON tp.k = CASE WHEN s.i = 1 THEN 0
    ELSE (t.k * 5 + s.i * 3) % 11 + 1 END
ORDER BY t.k, s.i
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------
-- Events and registrations. registered counts the registrations with
-- status registered; it is set after them.

INSERT INTO ch.event (id, district_id, kind, title, description, place_id,
    online, starts_at, ends_at, capacity, registered, status, created_by,
    created_at, updated_at)
SELECT ('92000000-0000-4000-8000-0000000000' || lpad(e.k::text, 2, '0'))
	::uuid,
    e.district_id, e.kind, e.title, e.description, pl.id,
    e.postal_code IS NULL, s.starts_at, s.starts_at + interval '2 hours',
    e.capacity, 0, e.status, 'a0000000-0000-4000-8000-000000000002',
    least(now(), s.starts_at) - interval '30 days',
    CASE WHEN e.status = 'cancelled' THEN now() - interval '2 days'
	ELSE least(now(), s.starts_at) - interval '30 days' END
FROM demo_w_event e
CROSS JOIN LATERAL (VALUES (((current_date + e.days)::timestamp
    + interval '1 hour' * e.hour) AT TIME ZONE 'Europe/Berlin'))
    s (starts_at)
LEFT JOIN ch.place pl ON pl.postal_code = e.postal_code
    AND pl.name = e.town
ORDER BY e.k
ON CONFLICT DO NOTHING;

INSERT INTO ch.event_registration (id, event_id, user_id, status,
    queued_at, cancelled_at, created_at, updated_at)
SELECT ('94000000-0000-4000-8000-0000000' || lpad((e.k * 100 + r.i)::text,
	5, '0'))::uuid,
    v.id,
    CASE WHEN r.who = 0 THEN 'a0000000-0000-4000-8000-000000000008'::uuid
	ELSE (SELECT m.user_id FROM demo_w_mentor m WHERE m.k = r.who) END,
    CASE WHEN r.who = ANY (e.cancelled) THEN 'cancelled'
	WHEN r.place <= e.capacity THEN 'registered'
	ELSE 'waiting' END,
    q.at,
    CASE WHEN r.who = ANY (e.cancelled) THEN q.at + interval '3 days' END,
    q.at,
    CASE WHEN r.who = ANY (e.cancelled) THEN q.at + interval '3 days'
	ELSE q.at END
FROM demo_w_event e
JOIN ch.event v ON v.id = ('92000000-0000-4000-8000-0000000000'
    || lpad(e.k::text, 2, '0'))::uuid
CROSS JOIN LATERAL (
	SELECT u.who, u.i, count(*) FILTER (WHERE u.who <> ALL (e.cancelled))
	    OVER (ORDER BY u.i) AS place
	FROM unnest(e.who) WITH ORDINALITY u (who, i)) r
CROSS JOIN LATERAL (VALUES (least(v.starts_at - interval '10 days',
    now() - interval '6 days') + interval '97 minutes' * r.i)) q (at)
ORDER BY e.k, r.i
ON CONFLICT DO NOTHING;

UPDATE ch.event v SET registered = c.registered
FROM (SELECT v2.id, (SELECT count(*) FROM ch.event_registration r
	WHERE r.event_id = v2.id AND r.status = 'registered')::integer
	AS registered
    FROM ch.event v2
    WHERE v2.id::text LIKE '92000000-0000-4000-8000-%') c
WHERE v.id = c.id AND v.registered <> c.registered;

DROP TABLE demo_w_mentor, demo_w_event, demo_w_qualification,
    demo_w_origin, demo_w_mentee, demo_w_tandem, demo_w_topic;
