-- Demo data: the six district seats as places, so a fresh `make run` has
-- places even before the reference file is imported. Idempotent.
INSERT INTO ch.place (postal_code, name, district_id, lat, lon) VALUES
    ('99084', 'Erfurt', '16051', 50.9746, 11.0297),
    ('99734', 'Nordhausen', '16062', 51.5018, 10.7957),
    ('99974', 'Mühlhausen', '16064', 51.2090, 10.4528),
    ('99706', 'Sondershausen', '16065', 51.3697, 10.8701),
    ('99867', 'Gotha', '16067', 50.9482, 10.7019),
    ('07318', 'Saalfeld/Saale', '16073', 50.6516, 11.3764)
ON CONFLICT (postal_code, name) DO NOTHING;
