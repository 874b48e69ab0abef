-- Demo accounts, one per role (coordinator and assistant for Erfurt and
-- Gotha), all with the password "connecting-humans-demo". Loaded only by
-- make run / make up / make test, never in production (scripts/stack.sh
-- refuses demo data when CH_ENV=production). The organisation and
-- participant ids are those of the Connecting Partners demo data.

INSERT INTO ch.app_user (id, email, password_hash, role, district_id,
    organization_id, participant_id, locale)
VALUES
	('a0000000-0000-4000-8000-000000000001', 'state_admin@demo.example', '$argon2id$v=19$m=65536,t=2,p=1$uWwa7wtvh3WWB1zl2E7Hsw$bzFz7WApdkKEVM+Ti7AhBepKxKcWcmcN6t8xx+BlTAE',
	    'state_admin', NULL, NULL, NULL, 'de'),
	('a0000000-0000-4000-8000-000000000002', 'coordinator.16051@demo.example', '$argon2id$v=19$m=65536,t=2,p=1$9PLlGHpA6nA5G1HaXJVlmA$eRa5TM2hQjb8VKn4QIMLv0Jn6PdMJK8eEd12NqxUlKk',
	    'coordinator', '16051', NULL, NULL, 'de'),
	('a0000000-0000-4000-8000-000000000003', 'assistant.16051@demo.example', '$argon2id$v=19$m=65536,t=2,p=1$DqwY9slTlMnsL4laSdgkhA$LJSg9uPH3zGjlJUr+WK1yb7HUtfm1L1WJ84na8wmDz0',
	    'assistant', '16051', NULL, NULL, 'de'),
	('a0000000-0000-4000-8000-000000000004', 'coordinator.16067@demo.example', '$argon2id$v=19$m=65536,t=2,p=1$7tR23iLGizQ2rZj6ag7IJw$d1cXeS1p173xHdmhb7mvC87A5i9zw4T1fxTTVnP66Uw',
	    'coordinator', '16067', NULL, NULL, 'de'),
	('a0000000-0000-4000-8000-000000000005', 'assistant.16067@demo.example', '$argon2id$v=19$m=65536,t=2,p=1$3LGPRkpD/4KoBKWYis5rbg$bN/7N1AmDfGTet0tYdG/SzCt33/CY65yrWv3TqZ6qAg',
	    'assistant', '16067', NULL, NULL, 'en'),
	('a0000000-0000-4000-8000-000000000006', 'organization.16051@demo.example', '$argon2id$v=19$m=65536,t=2,p=1$QKHW7CQJv7w0pR8SCvy3Kg$gFEiodmt6f+OAWQ1EcFNFTrxPTrOS3hk2exVY6M9FcU',
	    'organization', '16051', 'b0000000-0000-4000-8000-000000000001', NULL, 'de'),
	('a0000000-0000-4000-8000-000000000007', 'mentor.16051@demo.example', '$argon2id$v=19$m=65536,t=2,p=1$QJYVCTXViE91rxhoZQC1Fg$+gSlDkMaoiNj0Js0VYGU3+BpFBxuv6WZ6Ng6sjJnoeQ',
	    'mentor', '16051', NULL, NULL, 'de'),
	('a0000000-0000-4000-8000-000000000008', 'participant.16051@demo.example', '$argon2id$v=19$m=65536,t=2,p=1$wpdcqll0t/NQ9MLwdtkT5w$uwF2nLu+GGBPyB5FdhmrlTpDp2FuqTWl9LZdrifBjgI',
	    'participant', '16051', NULL, 'c0000000-0000-4000-8000-000000000001', 'uk')
ON CONFLICT DO NOTHING;
