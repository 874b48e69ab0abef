-- Demo data for Connecting Partners: organisations and their offers in the
-- six districts, participants with contact details and consents, and
-- placements. Everything is fictitious: club names are invented, people
-- are pseudonyms, phone numbers and addresses lead nowhere (.example).
--
-- Deterministic and idempotent: fixed ids, ON CONFLICT DO NOTHING, and no
-- random(); participants are generated from their number with arithmetic
-- over fixed lists. Loading the file again changes nothing.
--
-- Ids (the last group is a hexadecimal counter):
--   b0000000-0000-4000-8000-0000000000NN  organisations (1 = the demo
--       organisation account's sports club in Erfurt)
--   d0000000-0000-4000-8000-0000000000NN  offers
--   c0000000-0000-4000-8000-000000000NNN  participants (1 = the demo
--       participant account: Olena K., Erfurt)
--   e0000000-0000-4000-8000-...           consents, participant * 4 + purpose
--   f0000000-0000-4000-8000-...           placements, participant * 2
--       (active) or participant * 2 + 1 (ended)
--
-- Weekly schedules and availability are written as {"mon": ["evening"]}
-- and stored by ch.week_mask() as bit day * 3 + part (Monday = day 0;
-- morning, afternoon, evening = part 0, 1, 2).

-- ---------------------------------------------------------------------
-- Places: towns of the six districts, by postal code and name, as the
-- reference places name them (scripts/stack.sh imports those first).

CREATE TEMP TABLE demo_place (
	district_id	text NOT NULL,
	k		integer NOT NULL,	-- 1 = the district seat
	postal_code	text NOT NULL,
	name		text NOT NULL,
	PRIMARY KEY (district_id, k)
);
INSERT INTO demo_place VALUES
	('16051', 1, '99084', 'Erfurt'),
	('16051', 2, '99085', 'Erfurt'),
	('16051', 3, '99086', 'Erfurt'),
	('16051', 4, '99087', 'Erfurt'),
	('16051', 5, '99089', 'Erfurt'),
	('16051', 6, '99091', 'Erfurt'),
	('16051', 7, '99092', 'Erfurt'),
	('16051', 8, '99094', 'Erfurt'),
	('16051', 9, '99096', 'Erfurt'),
	('16051', 10, '99097', 'Erfurt'),
	('16051', 11, '99099', 'Erfurt'),
	('16062', 1, '99734', 'Nordhausen'),
	('16062', 2, '99755', 'Ellrich'),
	('16062', 3, '99765', 'Heringen/Helme'),
	('16062', 4, '99762', 'Niedersachswerfen'),
	('16062', 5, '99768', 'Ilfeld'),
	('16062', 6, '99735', 'Wolkramshausen'),
	('16062', 7, '99735', 'Werther'),
	('16062', 8, '99762', 'Neustadt/Harz'),
	('16062', 9, '99765', 'Urbach'),
	('16064', 1, '99974', 'Mühlhausen'),
	('16064', 2, '99947', 'Bad Langensalza'),
	('16064', 3, '99955', 'Bad Tennstedt'),
	('16064', 4, '99994', 'Schlotheim'),
	('16064', 5, '99955', 'Herbsleben'),
	('16064', 6, '99996', 'Menteroda'),
	('16064', 7, '99991', 'Großengottern'),
	('16064', 8, '99986', 'Oberdorla'),
	('16065', 1, '99706', 'Sondershausen'),
	('16065', 2, '06567', 'Bad Frankenhausen'),
	('16065', 3, '06556', 'Artern'),
	('16065', 4, '99718', 'Greußen'),
	('16065', 5, '99713', 'Ebeleben'),
	('16065', 6, '06571', 'Roßleben'),
	('16065', 7, '06577', 'Heldrungen'),
	('16065', 8, '06571', 'Wiehe'),
	('16067', 1, '99867', 'Gotha'),
	('16067', 2, '99880', 'Waltershausen'),
	('16067', 3, '99885', 'Ohrdruf'),
	('16067', 4, '99894', 'Friedrichroda'),
	('16067', 5, '99891', 'Tabarz'),
	('16067', 6, '99192', 'Neudietendorf'),
	('16067', 7, '99897', 'Tambach-Dietharz'),
	('16067', 8, '99887', 'Georgenthal'),
	('16067', 9, '99958', 'Tonna'),
	('16073', 1, '07318', 'Saalfeld/Saale'),
	('16073', 2, '07407', 'Rudolstadt'),
	('16073', 3, '07422', 'Bad Blankenburg'),
	('16073', 4, '07426', 'Königsee'),
	('16073', 5, '07333', 'Unterwellenborn'),
	('16073', 6, '07338', 'Kaulsdorf'),
	('16073', 7, '07338', 'Leutenberg'),
	('16073', 8, '07407', 'Remda-Teichel'),
	('16073', 9, '07349', 'Lehesten');

-- The towns come from the reference places (imported before the demo
-- data by scripts/stack.sh, or by make import-places); refuse to go on
-- without them rather than produce offers without places.
DO $$
DECLARE
	missing text;
BEGIN
	SELECT string_agg(d.postal_code || ' ' || d.name, ', ') INTO missing
	FROM demo_place d
	WHERE NOT EXISTS (SELECT 1 FROM ch.place pl
	    WHERE pl.postal_code = d.postal_code AND pl.name = d.name);
	IF missing IS NOT NULL THEN
		RAISE EXCEPTION 'demo data needs the reference places (make '
		    'import-places FILE=...); missing: %', missing;
	END IF;
END
$$;

-- ---------------------------------------------------------------------
-- Organisations: number, district, kind, name, place ('postal code
-- name'), phone, web domain (www and info@ on .example), description.

INSERT INTO ch.organization (id, district_id, name, kind, description,
    place_id, website, email, phone)
SELECT ('b0000000-0000-4000-8000-' || lpad(to_hex(v.n), 12, '0'))::uuid,
    v.district_id, v.name, v.kind, v.description, pl.id,
    'https://www.' || v.domain || '.example',
    'info@' || v.domain || '.example', v.phone
FROM (VALUES
	-- Erfurt
	(1, '16051', 'sport_club', 'SV Grün-Weiß Erfurt-Nord e.V.',
	    '99087 Erfurt', '0361 5550101', 'sv-gruen-weiss-erfurt',
	    'Breitensportverein im Erfurter Norden: Fußball, Gymnastik, '
	    'Tischtennis und Lauftreff. Neu Zugezogene sind willkommen, '
	    'Probetraining jederzeit.'),
	(2, '16051', 'sport_club', 'Schwimmverein Erfurter Delfine e.V.',
	    '99099 Erfurt', '0361 5550102', 'erfurter-delfine',
	    'Schwimmkurse für Erwachsene, Frauenschwimmen und Aqua-Fitness '
	    'in der Schwimmhalle im Osten der Stadt.'),
	(3, '16051', 'sport_club',
	    'Box- und Kampfsportclub Erfurt-Herrenberg e.V.',
	    '99099 Erfurt', '0361 5550103', 'bkc-herrenberg',
	    'Boxen, Judo und Selbstverteidigung für alle Altersgruppen.'),
	(4, '16051', 'sport_club', 'TTV Erfurt-Melchendorf 1991 e.V.',
	    '99097 Erfurt', '0361 5550104', 'ttv-melchendorf',
	    'Tischtennisverein mit Freizeit- und Mannschaftsspielern.'),
	(5, '16051', 'heritage_club',
	    'Heimat- und Geschichtsverein Erfurt-Hochheim e.V.',
	    '99094 Erfurt', '0361 5550105', 'heimatverein-hochheim',
	    'Ortschronik, Heimatstübchen und das jährliche Dorffest im '
	    'Ortsteil Hochheim.'),
	(6, '16051', 'culture', 'Kulturverein Krämerbrücke e.V.',
	    '99084 Erfurt', '0361 5550106', 'kulturverein-kraemerbruecke',
	    'Stadtführungen, Theater und Ausstellungen in der Altstadt.'),
	(7, '16051', 'culture', 'Chorgemeinschaft Erfurter Stimmen e.V.',
	    '99085 Erfurt', '0361 5550107', 'erfurter-stimmen',
	    'Gemischter Chor mit Liedern aus vielen Ländern; Notenlesen ist '
	    'keine Voraussetzung.'),
	(8, '16051', 'interreligious', 'Interreligiöser Runder Tisch Erfurt',
	    '99084 Erfurt', '0361 5550108', 'runder-tisch-religionen-erfurt',
	    'Christliche, muslimische, jüdische und weitere Gemeinden im '
	    'Gespräch; offene Abende und gemeinsame Feste.'),
	(9, '16051', 'volunteer', 'Freiwilligenagentur Erfurt',
	    '99084 Erfurt', '0361 5550109', 'freiwillig-in-erfurt',
	    'Vermittelt Ehrenämter in Schulen, Seniorenheimen, Tafeln und '
	    'Stadtteilprojekten.'),
	(10, '16051', 'adult_education', 'Volkshochschule Erfurt',
	    '99084 Erfurt', '0361 5550110', 'vhs-erfurt',
	    'Sprach-, Computer- und Kreativkurse für Erwachsene.'),
	(11, '16051', 'equality_office', 'Gleichstellungsbüro der Stadt Erfurt',
	    '99084 Erfurt', '0361 5550111', 'gleichstellung-erfurt',
	    'Beratung und Veranstaltungen zu Beruf, Familie und Rechten von '
	    'Frauen.'),
	(12, '16051', 'employer', 'Stadtverwaltung Erfurt, Personalamt',
	    '99084 Erfurt', '0361 5550112', 'ausbildung-stadt-erfurt',
	    'Praktika, Hospitationen und Berufsorientierung in Ämtern der '
	    'Stadtverwaltung.'),
	(13, '16051', 'employer', 'Pflegezentrum Am Steigerwald gGmbH',
	    '99096 Erfurt', '0361 5550113', 'pflegezentrum-steigerwald',
	    'Stationäre und ambulante Pflege; Schnuppertage für Menschen, die '
	    'in die Pflege einsteigen möchten.'),
	(14, '16051', 'women_network',
	    'Frauennetzwerk Erfurt International e.V.',
	    '99085 Erfurt', '0361 5550114', 'frauennetzwerk-erfurt',
	    'Frauen aus vielen Ländern treffen sich, lernen voneinander und '
	    'unterstützen sich beim Ankommen.'),
	(15, '16051', 'other', 'Interkultureller Garten Erfurt-Rieth e.V.',
	    '99089 Erfurt', '0361 5550115', 'garten-rieth',
	    'Gemeinschaftsgarten mit Beeten für Familien, Bienen und '
	    'Kochabenden.'),
	(16, '16051', 'volunteer', 'Freiwillige Feuerwehr Erfurt-Marbach',
	    '99092 Erfurt', '0361 5550116', 'feuerwehr-marbach',
	    'Ehrenamtliche Feuerwehr im Erfurter Westen; Erste-Hilfe-Kurse '
	    'für alle.'),
	(17, '16051', 'employer', 'Gebäudetechnik Gera-Aue GmbH',
	    '99091 Erfurt', '0361 5550117', 'gebaeudetechnik-gera-aue',
	    'Handwerksbetrieb für Elektro-, Heizungs- und Sanitärtechnik mit '
	    '25 Beschäftigten.'),
	(18, '16051', 'other', 'Nachbarschaftstreff Moskauer Platz e.V.',
	    '99091 Erfurt', '0361 5550118', 'treff-moskauer-platz',
	    'Stadtteiltreff mit Café, Spielenachmittagen und Repair-Café.'),
	-- Landkreis Nordhausen
	(19, '16062', 'sport_club', 'FSV Blau-Gelb Nordhausen-Salza e.V.',
	    '99734 Nordhausen', '03631 555201', 'fsv-nordhausen-salza',
	    'Fußball und Fitness für Erwachsene und Nachwuchs.'),
	(20, '16062', 'sport_club', 'Wander- und Skiverein Ilfeld e.V.',
	    '99768 Ilfeld', '036331 555202', 'wanderverein-ilfeld',
	    'Wanderungen im Südharz, im Winter Skilanglauf.'),
	(21, '16062', 'heritage_club', 'Heimatverein Ellrich e.V.',
	    '99755 Ellrich', '036332 555203', 'heimatverein-ellrich',
	    'Heimatstube, Lehmofen und Geschichten aus der Stadt am Harz.'),
	(22, '16062', 'other', 'Interkultureller Garten Nordhausen',
	    '99734 Nordhausen', '03631 555204', 'garten-nordhausen',
	    'Gärtnern, Ernten und Kräuterwissen teilen.'),
	(23, '16062', 'adult_education', 'Kreisvolkshochschule Nordhausen',
	    '99734 Nordhausen', '03631 555205', 'kvhs-nordhausen',
	    'Kurse für Sprache, Beruf, Digitales und Kochen.'),
	(24, '16062', 'volunteer', 'Freiwillige Feuerwehr Niedersachswerfen',
	    '99762 Niedersachswerfen', '036331 555206',
	    'feuerwehr-niedersachswerfen',
	    'Einsatzabteilung und Jugendfeuerwehr suchen Verstärkung.'),
	(25, '16062', 'culture', 'Kulturverein Heringen/Helme e.V.',
	    '99765 Heringen/Helme', '036333 555207', 'kultur-heringen',
	    'Theater auf der Schlossbühne und Volkstanz.'),
	(26, '16062', 'employer', 'Landratsamt Nordhausen',
	    '99734 Nordhausen', '03631 555208', 'landratsamt-nordhausen',
	    'Praktika und Hospitationen in der Kreisverwaltung.'),
	(27, '16062', 'women_network', 'Frauen-Café International Nordhausen',
	    '99734 Nordhausen', '03631 555209', 'frauencafe-nordhausen',
	    'Wöchentlicher Treffpunkt für Frauen mit Kinderbetreuung.'),
	(28, '16062', 'interreligious',
	    'Abrahamische Gesprächsrunde Nordhausen',
	    '99734 Nordhausen', '03631 555210', 'abrahamische-runde-nordhausen',
	    'Juden, Christen und Muslime im Gespräch über Glauben und Alltag.'),
	-- Unstrut-Hainich-Kreis
	(29, '16064', 'sport_club', 'SV Eintracht Mühlhausen-Ost e.V.',
	    '99974 Mühlhausen', '03601 555301', 'eintracht-muehlhausen-ost',
	    'Volleyball, Fußball und Gesundheitssport.'),
	(30, '16064', 'heritage_club', 'Heimatverein Bad Langensalza e.V.',
	    '99947 Bad Langensalza', '03603 555302', 'heimatverein-langensalza',
	    'Stadtgeschichte, Rosenpflege und Heimatabende in der Kurstadt.'),
	(31, '16064', 'culture', 'Kulturverein Alte Stadtmauer Mühlhausen e.V.',
	    '99974 Mühlhausen', '03601 555303', 'kultur-stadtmauer',
	    'Führungen auf der Stadtmauer, Konzerte und eine Trommelgruppe.'),
	(32, '16064', 'interreligious', 'Interreligiöses Forum Unstrut-Hainich',
	    '99974 Mühlhausen', '03601 555304', 'forum-religionen-uh',
	    'Friedensgebete, Gesprächsabende und Kochabende der Religionen.'),
	(33, '16064', 'volunteer', 'Ehrenamtsbörse Bad Tennstedt',
	    '99955 Bad Tennstedt', '036041 555305', 'ehrenamt-bad-tennstedt',
	    'Vermittelt Ehrenämter in Seniorenbegleitung und Dorfladen.'),
	(34, '16064', 'equality_office',
	    'Gleichstellungsstelle Unstrut-Hainich-Kreis',
	    '99974 Mühlhausen', '03601 555306', 'gleichstellung-uh-kreis',
	    'Gesprächsgruppen und Beratung für Frauen.'),
	(35, '16064', 'other', 'Naturschutzverein Hainich-Vorland e.V.',
	    '99986 Oberdorla', '03601 555307', 'natur-hainich-vorland',
	    'Arbeitseinsätze in Streuobstwiesen und am Waldrand, Vogelkunde.'),
	(36, '16064', 'employer', 'Metallbau Unstrut GmbH',
	    '99991 Großengottern', '036022 555308', 'metallbau-unstrut',
	    'Stahl- und Metallbau, Ausbildungsbetrieb seit 1995.'),
	(37, '16064', 'sport_club', 'Reitverein Schlotheim e.V.',
	    '99994 Schlotheim', '036021 555309', 'reitverein-schlotheim',
	    'Reiten, Voltigieren und Pferdepflege.'),
	-- Kyffhäuserkreis
	(38, '16065', 'sport_club', 'SV Possen Sondershausen e.V.',
	    '99706 Sondershausen', '03632 555401', 'sv-possen',
	    'Fußball, Badminton und Gymnastik.'),
	(39, '16065', 'heritage_club', 'Heimatverein Sondershausen',
	    '99706 Sondershausen', '03632 555402', 'heimatverein-sondershausen',
	    'Residenzstadtgeschichte, Schlosspark und Stammtisch.'),
	(40, '16065', 'heritage_club',
	    'Heimat- und Trachtenverein Bad Frankenhausen e.V.',
	    '06567 Bad Frankenhausen', '034671 555403',
	    'trachtenverein-frankenhausen',
	    'Trachtentanz, Lieder und Wanderungen am Kyffhäuser.'),
	(41, '16065', 'adult_education', 'Volkshochschule Kyffhäuserkreis',
	    '99706 Sondershausen', '03632 555404', 'vhs-kyffhaeuser',
	    'Deutschkurse, Berufssprache und Online-Angebote.'),
	(42, '16065', 'women_network', 'Frauennetzwerk Kyffhäuser e.V.',
	    '06556 Artern', '03466 555405', 'frauennetzwerk-kyffhaeuser',
	    'Frauentreff und Bewerbungswerkstatt in Artern.'),
	(43, '16065', 'employer', 'Landratsamt Kyffhäuserkreis',
	    '99706 Sondershausen', '03632 555406', 'landratsamt-kyffhaeuser',
	    'Praktika in der Verwaltung und der Straßenmeisterei.'),
	(44, '16065', 'volunteer', 'Freiwillige Feuerwehr Greußen',
	    '99718 Greußen', '03636 555407', 'feuerwehr-greussen',
	    'Ehrenamtliche Feuerwehr; neue Mitglieder ab 16 Jahren.'),
	(45, '16065', 'other', 'Interkulturelles Begegnungszentrum Artern',
	    '06556 Artern', '03466 555408', 'begegnung-artern',
	    'Kochtreff, Lernpaten und Nähwerkstatt.'),
	(46, '16065', 'culture', 'Musikverein Ebeleben e.V.',
	    '99713 Ebeleben', '036020 555409', 'musikverein-ebeleben',
	    'Blasorchester mit Instrumentenunterricht für Einsteiger.'),
	-- Landkreis Gotha
	(47, '16067', 'sport_club', 'SV Blau-Weiß Gotha e.V.',
	    '99867 Gotha', '03621 555501', 'sv-blau-weiss-gotha',
	    'Fußball, Leichtathletik und Frauenfußball.'),
	(48, '16067', 'sport_club',
	    'Radsportverein Thüringer Wald Friedrichroda e.V.',
	    '99894 Friedrichroda', '03623 555502', 'rsv-friedrichroda',
	    'Radtouren und Mountainbike-Kurse im Thüringer Wald.'),
	(49, '16067', 'heritage_club', 'Heimatverein Waltershausen e.V.',
	    '99880 Waltershausen', '03622 555503', 'heimatverein-waltershausen',
	    'Puppenmacher-Tradition, Stadtgeschichte und Erzählcafé.'),
	(50, '16067', 'equality_office', 'Gleichstellungsbüro Landkreis Gotha',
	    '99867 Gotha', '03621 555504', 'gleichstellung-lk-gotha',
	    'Infoabende und Beratung für Frauen im Landkreis.'),
	(51, '16067', 'adult_education', 'Volkshochschule Landkreis Gotha',
	    '99867 Gotha', '03621 555505', 'vhs-lk-gotha',
	    'Berufssprachkurse, Computerkurse und Kreatives.'),
	(52, '16067', 'culture', 'Kulturhaus Ohrdruf e.V.',
	    '99885 Ohrdruf', '03624 555506', 'kulturhaus-ohrdruf',
	    'Kino, Bandprojekte und Lesungen.'),
	(53, '16067', 'volunteer', 'Mitmach-Netzwerk Neudietendorf e.V.',
	    '99192 Neudietendorf', '036202 555507', 'mitmachen-neudietendorf',
	    'Nachbarschaftshilfe und Umweltaktionen.'),
	(54, '16067', 'employer', 'Landratsamt Gotha',
	    '99867 Gotha', '03621 555508', 'landratsamt-gotha',
	    'Praktika und Berufsorientierung in der Kreisverwaltung.'),
	(55, '16067', 'women_network', 'Frauenfrühstück International Gotha',
	    '99867 Gotha', '03621 555509', 'frauenfruehstueck-gotha',
	    'Frühstück, Spaziergänge und Austausch unter Frauen.'),
	(56, '16067', 'interreligious', 'Gesprächskreis der Religionen Gotha',
	    '99867 Gotha', '03621 555510', 'religionen-gotha',
	    'Monatliche Gespräche und ein jährliches Friedensfest.'),
	(57, '16067', 'other', 'Streuobstwiesen-Initiative Tabarz e.V.',
	    '99891 Tabarz', '036259 555511', 'streuobst-tabarz',
	    'Pflege alter Obstwiesen, Apfelernte und Saftpressen.'),
	-- Landkreis Saalfeld-Rudolstadt
	(58, '16073', 'sport_club', 'VfB Saalfeld-Gorndorf e.V.',
	    '07318 Saalfeld/Saale', '03671 555601', 'vfb-gorndorf',
	    'Fußball, Gymnastik und Seniorensport.'),
	(59, '16073', 'sport_club', 'Kanusportverein Rudolstadt e.V.',
	    '07407 Rudolstadt', '03672 555602', 'kanu-rudolstadt',
	    'Kanu und Drachenboot auf der Saale.'),
	(60, '16073', 'heritage_club',
	    'Heimat- und Geschichtsverein Bad Blankenburg e.V.',
	    '07422 Bad Blankenburg', '036741 555603',
	    'geschichte-bad-blankenburg',
	    'Burgruine Greifenstein, Stadtgeschichte und Stammtisch.'),
	(61, '16073', 'culture', 'Folkfreunde Rudolstadt e.V.',
	    '07407 Rudolstadt', '03672 555604', 'folkfreunde-rudolstadt',
	    'Musik-Sessions und Helferteams für das Tanzfest im Sommer.'),
	(62, '16073', 'adult_education', 'Volkshochschule Saalfeld-Rudolstadt',
	    '07318 Saalfeld/Saale', '03671 555605', 'vhs-saalfeld-rudolstadt',
	    'Deutsch-Lerncafé und Kurse vor Ort und online.'),
	(63, '16073', 'equality_office',
	    'Gleichstellungsbüro Landkreis Saalfeld-Rudolstadt',
	    '07318 Saalfeld/Saale', '03671 555606', 'gleichstellung-slf-ru',
	    'Workshops zu Beruf und Familie, Praktikum im Landratsamt.'),
	(64, '16073', 'interreligious',
	    'Christlich-Muslimischer Gesprächskreis Saalfeld',
	    '07318 Saalfeld/Saale', '03671 555607', 'gespraechskreis-saalfeld',
	    'Gespräche über Feste und Bräuche, gemeinsames Kochen.'),
	(65, '16073', 'employer', 'Glaswerk Schwarzatal GmbH',
	    '07426 Königsee', '036738 555608', 'glaswerk-schwarzatal',
	    'Glasherstellung mit Praktikumsplätzen in der Produktion.'),
	(66, '16073', 'volunteer', 'Freiwilligenzentrum Saalfeld-Rudolstadt',
	    '07407 Rudolstadt', '03672 555609', 'freiwillig-slf-ru',
	    'Lesepaten, Sprachmittlung und Tierschutz.'),
	(67, '16073', 'women_network', 'Frauentreff Unterwellenborn',
	    '07333 Unterwellenborn', '03671 555610',
	    'frauentreff-unterwellenborn',
	    'Nachmittagstreff und Yoga für Frauen.')
) v (n, district_id, kind, name, place, phone, domain, description)
LEFT JOIN ch.place pl ON pl.postal_code = split_part(v.place, ' ', 1)
    AND pl.name = substr(v.place, 7)
ORDER BY v.n
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------
-- Offers: number, organisation number, title, category, tags, languages,
-- place ('postal code name'; NULL = the organisation's place; 'online'),
-- weekly schedule, capacity, audience, age range, minimum German level,
-- cost per month in cents, accessibility, status, description. District
-- and organisation come from the organisation; active_placements is kept
-- by the placement trigger.

INSERT INTO ch.offer (id, organization_id, district_id, title, description,
    category, tags, languages, place_id, online, schedule, capacity,
    active_placements, audience, age_min, age_max, min_german_level,
    cost_per_month_cents, accessibility, status)
SELECT ('d0000000-0000-4000-8000-' || lpad(to_hex(v.n), 12, '0'))::uuid,
    o.id, o.district_id, v.title, v.description, v.category,
    v.tags::text[], v.languages::text[],
    CASE WHEN v.place = 'online' THEN NULL
	WHEN v.place IS NULL THEN o.place_id ELSE pl.id END,
    v.place IS NOT DISTINCT FROM 'online',
    ch.week_mask(v.schedule::jsonb), v.capacity, 0,
    v.audience, v.age_min, v.age_max, v.min_de, v.cost,
    v.access::text[], v.status
FROM (VALUES
	-- 1 SV Grün-Weiß Erfurt-Nord
	(1, 1, 'Gymnastik und Fitness für Frauen', 'sport',
	    '{gymnastik,fitness,frauen}', '{de,uk,ru}', NULL,
	    '{"tue": ["evening"], "thu": ["evening"]}', 16, 'women',
	    NULL, NULL, NULL, 800,
	    '{step_free,accessible_toilet,public_transport}', 'open',
	    'Ganzkörpertraining mit Musik in der Sporthalle; die Trainerin '
	    'spricht auch Russisch. Zwei Probetermine sind kostenlos.'),
	(2, 1, 'Fußball für Erwachsene – offenes Training', 'sport',
	    '{fussball,anfaenger,mannschaft}', '{de,en,ar}', NULL,
	    '{"mon": ["evening"], "wed": ["evening"]}', 22, 'any',
	    NULL, NULL, NULL, 1200, '{public_transport}', 'open',
	    'Freizeitfußball ohne Ligabetrieb; Schuhe können geliehen werden.'),
	(3, 1, 'Tischtennis-Treff', 'sport', '{tischtennis,freizeit}',
	    '{de,ru}', NULL, '{"fri": ["afternoon"]}', 10, 'any',
	    NULL, NULL, 'a1', 0, '{step_free}', 'open',
	    'Lockeres Spielen an vier Platten, Schläger sind vorhanden.'),
	(4, 1, 'Lauftreff am Nordstrand', 'sport',
	    '{laufen,ausdauer,anfaenger}', '{de,en}', '99089 Erfurt',
	    '{"sat": ["morning"]}', 25, 'any', NULL, NULL, NULL, 0,
	    '{public_transport}', 'open',
	    'Fünf Kilometer in zwei Tempogruppen rund um den See.'),
	(5, 1, 'Jugendfußball U17', 'sport', '{fussball,jugend}',
	    '{de,ar,fa}', NULL, '{"tue": ["afternoon"], "thu": ["afternoon"]}',
	    18, 'any', 14, 17, NULL, 500, '{public_transport}', 'open',
	    'Training und Punktspiele für Jugendliche von 14 bis 17 Jahren.'),
	(6, 1, 'Kinderturnen mit Eltern', 'sport', '{kinder,familie,turnen}',
	    '{de,uk}', NULL, '{"sat": ["morning"]}', 12, 'any',
	    NULL, NULL, NULL, 0, '{step_free,childcare}', 'draft',
	    'Eltern turnen mit ihren Kindern von zwei bis fünf Jahren.'),
	-- 2 Schwimmverein Erfurter Delfine
	(7, 2, 'Schwimmkurs für erwachsene Anfänger', 'sport',
	    '{schwimmen,anfaenger}', '{de,ar,fa}', NULL,
	    '{"wed": ["evening"]}', 8, 'any', NULL, NULL, 'a1', 1500,
	    '{step_free,accessible_toilet,public_transport}', 'open',
	    'Zehn Abende im Lehrschwimmbecken, in kleinen Gruppen.'),
	(8, 2, 'Frauenschwimmen', 'sport', '{schwimmen,frauen}',
	    '{de,ar,tr}', NULL, '{"sun": ["morning"]}', 12, 'women',
	    NULL, NULL, NULL, 1000,
	    '{step_free,accessible_toilet,childcare}', 'open',
	    'Schwimmzeit nur für Frauen mit weiblichem Aufsichtspersonal.'),
	(9, 2, 'Aqua-Fitness 60 plus', 'sport', '{aqua-fitness,senioren}',
	    '{de,ru}', NULL, '{"mon": ["morning"], "thu": ["morning"]}', 14,
	    'any', 60, NULL, NULL, 1500,
	    '{step_free,accessible_toilet,hearing_loop}', 'open',
	    'Gelenkschonende Gymnastik im warmen Wasser.'),
	-- 3 Box- und Kampfsportclub Erfurt-Herrenberg
	(10, 3, 'Boxtraining für Einsteiger', 'sport',
	    '{boxen,fitness,anfaenger}', '{de,ru,ar}', NULL,
	    '{"mon": ["evening"], "wed": ["evening"], "fri": ["evening"]}',
	    15, 'any', NULL, NULL, NULL, 1500, '{}', 'open',
	    'Technik, Kondition und Fairness, ohne Wettkampfpflicht.'),
	(11, 3, 'Selbstverteidigung für Frauen', 'sport',
	    '{selbstverteidigung,frauen}', '{de,uk,fa}', NULL,
	    '{"sat": ["afternoon"]}', 12, 'women', NULL, NULL, NULL, 0,
	    '{childcare,public_transport}', 'open',
	    'Kurs mit einer Trainerin; Kinder werden nebenan betreut.'),
	(12, 3, 'Judo für Jugendliche', 'sport', '{judo,jugend}', '{de}',
	    NULL, '{"tue": ["afternoon"], "thu": ["afternoon"]}', 16, 'any',
	    10, 17, NULL, 1000, '{}', 'paused',
	    'Pausiert, bis die Halle renoviert ist.'),
	-- 4 TTV Erfurt-Melchendorf
	(13, 4, 'Tischtennis für alle', 'sport', '{tischtennis,verein}',
	    '{de,uk}', NULL, '{"tue": ["evening"], "fri": ["evening"]}', 12,
	    'any', NULL, NULL, NULL, 900, '{public_transport}', 'open',
	    'Training mit Vereinsspielern, später auch Mannschaftsspiele.'),
	(14, 4, 'Tischtennis am Vormittag', 'sport',
	    '{tischtennis,vormittag}', '{de,ru}', NULL,
	    '{"wed": ["morning"]}', 8, 'any', NULL, NULL, NULL, 600,
	    '{step_free}', 'open', 'Gemütliche Runde für Frühaufsteher.'),
	-- 5 Heimat- und Geschichtsverein Erfurt-Hochheim
	(15, 5, 'Ortschronik-Werkstatt', 'civic_local',
	    '{geschichte,ortschronik}', '{de,en}', NULL,
	    '{"wed": ["afternoon"]}', 6, 'any', NULL, NULL, 'b1', 0, '{}',
	    'open', 'Fotos sortieren, Zeitzeugen befragen, Texte schreiben.'),
	(16, 5, 'Dorffest-Vorbereitung Hochheim', 'civic_local',
	    '{dorffest,ehrenamt}', '{de,uk}', NULL, '{"sat": ["morning"]}', 15,
	    'any', NULL, NULL, 'a2', 0, '{}', 'open',
	    'Aufbau, Kuchenstand und Programm für das Dorffest im Juni.'),
	(17, 5, 'Kaffeenachmittag im Heimatstübchen', 'leisure_sociability',
	    '{kaffee,begegnung,senioren}', '{de,ru}', NULL,
	    '{"thu": ["afternoon"]}', 20, 'any', NULL, NULL, NULL, 0,
	    '{step_free,accessible_toilet}', 'open',
	    'Erzählen, Kuchen und alte Fotos aus dem Ortsteil.'),
	-- 6 Kulturverein Krämerbrücke
	(18, 6, 'Stadtführungen für Neu-Erfurterinnen und Neu-Erfurter',
	    'culture_music', '{stadtfuehrung,geschichte}', '{de,en,uk,ar}',
	    NULL, '{"sat": ["afternoon"]}', 20, 'any', NULL, NULL, NULL, 0,
	    '{easy_language,public_transport}', 'open',
	    'Dom, Krämerbrücke und Synagoge in einfacher Sprache erklärt.'),
	(19, 6, 'Theaterwerkstatt International', 'culture_music',
	    '{theater,sprache}', '{de,en,fa}', NULL, '{"tue": ["evening"]}',
	    14, 'any', NULL, NULL, 'a2', 0, '{}', 'open',
	    'Improvisation und ein gemeinsames Stück zum Jahresende.'),
	(20, 6, 'Ehrenamt im Ausstellungsbüro', 'culture_music',
	    '{ehrenamt,museum}', '{de,en}', NULL,
	    '{"fri": ["morning"], "sat": ["morning"]}', 4, 'any',
	    NULL, NULL, 'b1', 0, '{}', 'draft',
	    'Aufsicht und Empfang bei Ausstellungen.'),
	(21, 6, 'Mal- und Zeichenkurs', 'culture_music', '{malen,kunst}',
	    '{de,uk,ar}', NULL, '{"wed": ["afternoon"]}', 10, 'any',
	    NULL, NULL, NULL, 500, '{step_free}', 'open',
	    'Material wird gestellt; keine Vorkenntnisse nötig.'),
	-- 7 Chorgemeinschaft Erfurter Stimmen
	(22, 7, 'Offene Chorprobe', 'culture_music', '{chor,singen}',
	    '{de,uk,ru}', NULL, '{"mon": ["evening"]}', 25, 'any',
	    NULL, NULL, NULL, 500, '{step_free,public_transport}', 'open',
	    'Wir singen auf Deutsch, Ukrainisch und Englisch.'),
	(23, 7, 'Internationaler Liederabend', 'culture_music',
	    '{singen,lieder,begegnung}', '{de,ar,fa,uk}', NULL,
	    '{"fri": ["evening"]}', 25, 'any', NULL, NULL, NULL, 0,
	    '{step_free}', 'open',
	    'Jeden Monat bringen Mitglieder Lieder aus ihrer Heimat mit.'),
	-- 8 Interreligiöser Runder Tisch Erfurt
	(24, 8, 'Dialog der Religionen – Gesprächsabend', 'interreligious',
	    '{dialog,religion}', '{de,ar,en}', NULL, '{"thu": ["evening"]}',
	    25, 'any', NULL, NULL, NULL, 0, '{step_free,hearing_loop}', 'open',
	    'Jeden Monat ein anderes Thema, jedes Mal in einem anderen Haus.'),
	(25, 8, 'Feste gemeinsam vorbereiten', 'interreligious',
	    '{feste,kochen,begegnung}', '{de,ar,tr,fa}', NULL,
	    '{"sat": ["afternoon"]}', 20, 'any', NULL, NULL, NULL, 0,
	    '{step_free}', 'open',
	    'Fastenbrechen, Laubhüttenfest und Adventskaffee mitgestalten.'),
	(26, 8, 'Online-Gesprächskreis Glauben im Alltag', 'interreligious',
	    '{online,dialog}', '{de,en,uk}', 'online', '{"wed": ["evening"]}',
	    15, 'any', NULL, NULL, 'a2', 0, '{}', 'open',
	    'Videogespräch in kleiner Runde.'),
	-- 9 Freiwilligenagentur Erfurt
	(27, 9, 'Lesepaten in Grundschulen', 'school_kindergarten',
	    '{lesen,kinder,ehrenamt}', '{de}', '99086 Erfurt',
	    '{"tue": ["morning"], "thu": ["morning"]}', 10, 'any',
	    NULL, NULL, 'b1', 0, '{public_transport}', 'open',
	    'Einmal pro Woche mit Kindern lesen.'),
	(28, 9, 'Besuchsdienst im Seniorenheim', 'social',
	    '{senioren,besuchsdienst}', '{de,ru,uk}', '99096 Erfurt',
	    '{"wed": ["afternoon"], "sat": ["afternoon"]}', 12, 'any',
	    NULL, NULL, 'a2', 0, '{step_free,accessible_toilet}', 'open',
	    'Vorlesen, Spazierengehen und Gespräche mit Bewohnern.'),
	(29, 9, 'Sprachcafé Deutsch', 'youth_adult_education',
	    '{sprache,deutsch,begegnung}', '{de,en,ar,uk,fa}', NULL,
	    '{"mon": ["afternoon"], "thu": ["afternoon"]}', 25, 'any',
	    NULL, NULL, NULL, 0, '{step_free,easy_language,public_transport}',
	    'open',
	    'Deutsch sprechen üben mit Ehrenamtlichen bei Kaffee und Tee.'),
	(30, 9, 'Lebensmittelausgabe unterstützen', 'social',
	    '{lebensmittel,ehrenamt}', '{de,ar}', '99091 Erfurt',
	    '{"fri": ["morning"]}', 8, 'any', NULL, NULL, NULL, 0, '{}',
	    'open', 'Sortieren und Ausgeben von gespendeten Lebensmitteln.'),
	(31, 9, 'Hausaufgabenhilfe im Stadtteil', 'school_kindergarten',
	    '{hausaufgaben,kinder}', '{de,uk,ru,ar}', '99089 Erfurt',
	    '{"mon": ["afternoon"], "wed": ["afternoon"]}', 10, 'any',
	    NULL, NULL, 'b1', 0, '{}', 'paused',
	    'Pausiert in den Schulferien.'),
	-- 10 Volkshochschule Erfurt
	(32, 10, 'Deutsch im Alltag A2 – Sprechtraining',
	    'youth_adult_education', '{deutsch,sprechen,a2}', '{de}', NULL,
	    '{"mon": ["morning"], "wed": ["morning"]}', 16, 'any',
	    NULL, NULL, 'a1', 1800,
	    '{step_free,accessible_toilet,hearing_loop,public_transport}',
	    'open', 'Sprechen in Alltagssituationen: Arzt, Amt, Einkauf.'),
	(33, 10, 'Computerkurs für Einsteiger', 'youth_adult_education',
	    '{computer,digital,anfaenger}', '{de,uk,ar}', NULL,
	    '{"tue": ["afternoon"]}', 12, 'any', NULL, NULL, 'a2', 1500,
	    '{step_free,accessible_toilet}', 'open',
	    'E-Mail, Online-Formulare und Textverarbeitung.'),
	(34, 10, 'Online-Kurs Bewerbungsschreiben', 'youth_adult_education',
	    '{bewerbung,beruf,online}', '{de,en}', 'online',
	    '{"thu": ["evening"]}', 20, 'any', NULL, NULL, 'b1', 0, '{}',
	    'open', 'Lebenslauf und Anschreiben nach deutschen Standards.'),
	(35, 10, 'Nähkurs für Frauen', 'youth_adult_education',
	    '{naehen,handarbeit,frauen}', '{de,uk,ar,fa}', NULL,
	    '{"fri": ["morning"]}', 10, 'women', NULL, NULL, NULL, 1200,
	    '{step_free,childcare}', 'open',
	    'Nähmaschinen sind vorhanden, Kinderbetreuung im Nebenraum.'),
	(36, 10, 'Fotografie-Workshop', 'culture_music',
	    '{fotografie,kunst}', '{de,en}', NULL, '{"sat": ["morning"]}', 12,
	    'any', NULL, NULL, NULL, 2500, '{step_free}', 'closed',
	    'Der Kurs ist abgeschlossen.'),
	-- 11 Gleichstellungsbüro der Stadt Erfurt
	(37, 11, 'Praktikum im Gleichstellungsbüro', 'work_experience',
	    '{praktikum,verwaltung}', '{de,en}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 2, 'any',
	    NULL, NULL, 'b1', 0, '{step_free,accessible_toilet}', 'open',
	    'Vier Wochen Einblick in Beratung und Öffentlichkeitsarbeit.'),
	(38, 11, 'Beratungstag für Frauen: Beruf und Familie', 'women_network',
	    '{beratung,frauen,beruf}', '{de,ar,uk,fa}', NULL,
	    '{"tue": ["morning"]}', 15, 'women', NULL, NULL, NULL, 0,
	    '{childcare,easy_language,step_free}', 'open',
	    'Fragen zu Kita, Teilzeit, Anerkennung und Rechten.'),
	-- 12 Stadtverwaltung Erfurt, Personalamt
	(39, 12, 'Berufsorientierung in der Stadtverwaltung', 'work_experience',
	    '{praktikum,verwaltung,berufsorientierung}', '{de}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"]}', 4, 'any', NULL, NULL, 'b1', 0,
	    '{step_free,accessible_toilet,public_transport}', 'open',
	    'Zwei Wochen in verschiedenen Ämtern.'),
	(40, 12, 'Hospitation im Bürgeramt', 'work_experience',
	    '{hospitation,buergeramt}', '{de,uk,ru}', NULL,
	    '{"wed": ["morning"], "fri": ["morning"]}', 3, 'any',
	    NULL, NULL, 'b1', 0, '{step_free,accessible_toilet}', 'open',
	    'Begleiten von Sachbearbeiterinnen am Schalter.'),
	(41, 12, 'Praktikum im Garten- und Friedhofsamt', 'work_experience',
	    '{praktikum,gruenpflege}', '{de}', '99092 Erfurt',
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 3, 'any',
	    NULL, NULL, 'a2', 0, '{}', 'draft',
	    'Pflege von Parks und Grünanlagen.'),
	-- 13 Pflegezentrum Am Steigerwald
	(42, 13, 'Schnuppertage in der Pflege', 'work_experience',
	    '{pflege,praktikum,gesundheit}', '{de,uk,ar}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 5, 'any',
	    NULL, NULL, 'a2', 0, '{public_transport}', 'open',
	    'Eine Woche mitlaufen in der stationären Pflege.'),
	(43, 13, 'Ehrenamtlicher Besuchsdienst', 'social',
	    '{senioren,besuch}', '{de,ru,tr}', NULL,
	    '{"sat": ["afternoon"], "sun": ["afternoon"]}', 8, 'any',
	    NULL, NULL, 'a2', 0, '{step_free}', 'open',
	    'Gesellschaft leisten, spielen, spazieren gehen.'),
	-- 14 Frauennetzwerk Erfurt International
	(44, 14, 'Frauenfrühstück International', 'women_network',
	    '{fruehstueck,begegnung,frauen}', '{de,uk,ar,fa,tr}', NULL,
	    '{"wed": ["morning"]}', 25, 'women', NULL, NULL, NULL, 0,
	    '{childcare,step_free}', 'open',
	    'Jede bringt etwas mit; Kinder sind willkommen.'),
	(45, 14, 'Mentoring für Frauen im Beruf', 'women_network',
	    '{mentoring,beruf,frauen}', '{de,en,uk}', NULL,
	    '{"thu": ["evening"]}', 10, 'women', NULL, NULL, 'a2', 0, '{}',
	    'open', 'Berufstätige Frauen begleiten Neueinsteigerinnen.'),
	(46, 14, 'Online-Austausch für Mütter', 'women_network',
	    '{muetter,familie,online}', '{de,uk,ru}', 'online',
	    '{"sun": ["evening"]}', 20, 'women', NULL, NULL, NULL, 0, '{}',
	    'open', 'Videotreffen am Sonntagabend, wenn die Kinder schlafen.'),
	(47, 14, 'Fahrradfahren lernen für Frauen', 'women_network',
	    '{fahrrad,mobilitaet,frauen}', '{de,ar,fa}', '99089 Erfurt',
	    '{"sat": ["morning"]}', 8, 'women', NULL, NULL, NULL, 0, '{}',
	    'paused', 'Pausiert im Winter, wieder ab April.'),
	-- 15 Interkultureller Garten Erfurt-Rieth
	(48, 15, 'Gemeinschaftsgarten: Beete und Ernte', 'environment_animals',
	    '{garten,natur,familie}', '{de,ar,uk,ru}', NULL,
	    '{"tue": ["afternoon"], "sat": ["morning"]}', 20, 'any',
	    NULL, NULL, NULL, 0, '{step_free,childcare}', 'open',
	    'Eigene Beete für Familien, gemeinsame Kräuterspirale.'),
	(49, 15, 'Imkern lernen', 'environment_animals', '{bienen,natur}',
	    '{de,en}', NULL, '{"sat": ["afternoon"]}', 6, 'any',
	    NULL, NULL, NULL, 500, '{}', 'open',
	    'Von der Frühjahrsdurchsicht bis zur Honigernte.'),
	(50, 15, 'Kochen aus dem Garten', 'leisure_sociability',
	    '{kochen,begegnung}', '{de,ar,fa,tr}', NULL,
	    '{"fri": ["evening"]}', 14, 'any', NULL, NULL, NULL, 0,
	    '{step_free}', 'open', 'Wir kochen mit der Ernte der Woche.'),
	-- 16 Freiwillige Feuerwehr Erfurt-Marbach
	(51, 16, 'Mitmachen bei der Freiwilligen Feuerwehr', 'rescue_fire',
	    '{feuerwehr,ehrenamt,technik}', '{de}', NULL,
	    '{"thu": ["evening"]}', 6, 'any', 16, NULL, 'a2', 0, '{}', 'open',
	    'Ausbildung zur Einsatzkraft; Dienstabend jeden Donnerstag.'),
	(52, 16, 'Erste-Hilfe-Grundkurs', 'health',
	    '{erste-hilfe,gesundheit}', '{de,ar,uk}', NULL,
	    '{"sat": ["morning"]}', 15, 'any', NULL, NULL, NULL, 0,
	    '{step_free}', 'open', 'Neun Unterrichtseinheiten mit Zertifikat.'),
	-- 17 Gebäudetechnik Gera-Aue
	(53, 17, 'Praktikum Elektro- und Sanitärtechnik', 'work_experience',
	    '{handwerk,elektro,praktikum}', '{de,ru}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 2, 'any',
	    NULL, NULL, 'a2', 0, '{}', 'open',
	    'Mit einem Gesellen auf Baustellen in Erfurt.'),
	(54, 17, 'Schnuppertag Handwerk', 'work_experience',
	    '{handwerk,berufsorientierung}', '{de,ar}', NULL,
	    '{"fri": ["morning"]}', 4, 'any', 16, 27, NULL, 0, '{}', 'open',
	    'Ein Tag in der Werkstatt für junge Erwachsene.'),
	-- 18 Nachbarschaftstreff Moskauer Platz
	(55, 18, 'Nachbarschaftscafé', 'leisure_sociability',
	    '{cafe,begegnung,nachbarschaft}', '{de,ru,uk,ar}', NULL,
	    '{"tue": ["afternoon"], "fri": ["afternoon"]}', 25, 'any',
	    NULL, NULL, NULL, 0, '{step_free,accessible_toilet}', 'open',
	    'Kaffee, Kuchen und Gespräche mit Nachbarn.'),
	(56, 18, 'Spielenachmittag für Familien', 'leisure_sociability',
	    '{spiele,familie,kinder}', '{de,uk,ar,tr}', NULL,
	    '{"sun": ["afternoon"]}', 20, 'any', NULL, NULL, NULL, 0,
	    '{step_free,childcare}', 'open',
	    'Brettspiele und Bastelecke für Eltern und Kinder.'),
	(57, 18, 'Repair-Café', 'environment_animals',
	    '{reparieren,nachhaltigkeit}', '{de,ru,fa}', NULL,
	    '{"sat": ["afternoon"]}', 10, 'any', NULL, NULL, NULL, 0,
	    '{step_free}', 'open',
	    'Gemeinsam Toaster, Fahrräder und Kleidung reparieren.'),
	(58, 18, 'Seniorentreff Moskauer Platz', 'social',
	    '{senioren,begegnung}', '{de,ru}', NULL, '{"wed": ["afternoon"]}',
	    15, 'any', 60, NULL, NULL, 0,
	    '{step_free,accessible_toilet,hearing_loop}', 'open',
	    'Gymnastik im Sitzen, Gespräche und Ausflüge.'),
	-- 19 FSV Blau-Gelb Nordhausen-Salza
	(59, 19, 'Fußball Herren – Freizeitmannschaft', 'sport',
	    '{fussball,freizeit}', '{de,ar,fa}', NULL,
	    '{"tue": ["evening"], "fri": ["evening"]}', 20, 'any',
	    NULL, NULL, NULL, 1000, '{}', 'open',
	    'Training auf dem Kunstrasen, Freundschaftsspiele am Wochenende.'),
	(60, 19, 'Frauen-Fitness im Vereinsheim', 'sport',
	    '{fitness,frauen}', '{de,uk,ru}', NULL, '{"mon": ["evening"]}', 12,
	    'women', NULL, NULL, NULL, 600, '{step_free}', 'open',
	    'Kräftigung, Dehnen und Entspannung.'),
	(61, 19, 'Nachwuchs U15', 'sport', '{fussball,jugend}', '{de}', NULL,
	    '{"wed": ["afternoon"], "fri": ["afternoon"]}', 18, 'any', 12, 15,
	    NULL, 500, '{}', 'open', 'Jugendmannschaft sucht Verstärkung.'),
	-- 20 Wander- und Skiverein Ilfeld
	(62, 20, 'Sonntagswanderung im Südharz', 'sport',
	    '{wandern,natur}', '{de,ru}', NULL, '{"sun": ["morning"]}', 25,
	    'any', NULL, NULL, NULL, 0, '{public_transport}', 'open',
	    'Zehn bis fünfzehn Kilometer, Treffpunkt am Bahnhof.'),
	(63, 20, 'Langlauf-Schnupperkurs', 'sport', '{ski,winter,anfaenger}',
	    '{de}', NULL, '{"sat": ["morning"]}', 10, 'any',
	    NULL, NULL, NULL, 1500, '{}', 'paused',
	    'Pausiert, bis Schnee liegt; Ski werden gestellt.'),
	-- 21 Heimatverein Ellrich
	(64, 21, 'Heimatstube Ellrich: Geschichte erleben', 'civic_local',
	    '{geschichte,museum}', '{de,ru}', NULL, '{"thu": ["afternoon"]}',
	    8, 'any', NULL, NULL, 'a2', 0, '{}', 'open',
	    'Mithelfen bei Führungen und Ausstellungen.'),
	(65, 21, 'Backen im Lehmofen', 'leisure_sociability',
	    '{backen,tradition}', '{de,uk}', NULL, '{"sat": ["afternoon"]}',
	    12, 'any', NULL, NULL, NULL, 0, '{}', 'open',
	    'Brot und Kuchen nach alten Rezepten, einmal im Monat.'),
	-- 22 Interkultureller Garten Nordhausen
	(66, 22, 'Gärtnern im Interkulturellen Garten', 'environment_animals',
	    '{garten,natur}', '{de,ar,fa,uk}', NULL,
	    '{"wed": ["afternoon"], "sat": ["morning"]}', 18, 'any',
	    NULL, NULL, NULL, 0, '{step_free,public_transport}', 'open',
	    'Gemeinsame Beete, Werkzeug ist vorhanden.'),
	(67, 22, 'Saatgut tauschen und Kräuter ziehen', 'environment_animals',
	    '{kraeuter,garten}', '{de,ar}', NULL, '{"sat": ["afternoon"]}', 10,
	    'any', NULL, NULL, NULL, 0, '{}', 'draft',
	    'Saatgutbörse im Frühjahr.'),
	-- 23 Kreisvolkshochschule Nordhausen
	(68, 23, 'Deutsch-Konversation B1', 'youth_adult_education',
	    '{deutsch,konversation}', '{de}', NULL, '{"tue": ["evening"]}', 14,
	    'any', NULL, NULL, 'a2', 1500, '{step_free,hearing_loop}', 'open',
	    'Frei sprechen über Alltag, Arbeit und Nachrichten.'),
	(69, 23, 'Online-Kurs Digitaler Alltag', 'youth_adult_education',
	    '{digital,smartphone,online}', '{de,uk,ar}', 'online',
	    '{"thu": ["morning"]}', 15, 'any', NULL, NULL, NULL, 0,
	    '{easy_language}', 'open',
	    'Smartphone, Online-Banking und Termine beim Amt.'),
	(70, 23, 'Kochkurs Thüringer Küche', 'youth_adult_education',
	    '{kochen,thueringen}', '{de,en}', NULL, '{"fri": ["evening"]}', 12,
	    'any', NULL, NULL, NULL, 1800, '{step_free}', 'open',
	    'Klöße, Rostbrätel und Zwiebelkuchen.'),
	-- 24 Freiwillige Feuerwehr Niedersachswerfen
	(71, 24, 'Feuerwehr-Schnuppertraining', 'rescue_fire',
	    '{feuerwehr,technik}', '{de}', NULL, '{"wed": ["evening"]}', 6,
	    'any', 16, NULL, 'a2', 0, '{}', 'open',
	    'Kennenlernen von Fahrzeugen, Technik und Kameraden.'),
	(72, 24, 'Jugendfeuerwehr', 'rescue_fire', '{feuerwehr,jugend}',
	    '{de}', NULL, '{"sat": ["morning"]}', 10, 'any', 10, 17, NULL, 0,
	    '{}', 'open', 'Für Jugendliche von 10 bis 17 Jahren.'),
	-- 25 Kulturverein Heringen/Helme
	(73, 25, 'Theatergruppe Schlossbühne', 'culture_music', '{theater}',
	    '{de}', NULL, '{"thu": ["evening"]}', 12, 'any',
	    NULL, NULL, 'a2', 0, '{}', 'open',
	    'Proben für das Sommerstück im Schlosshof.'),
	(74, 25, 'Volkstanz für Jung und Alt', 'culture_music',
	    '{tanz,tradition}', '{de,ru,uk}', NULL, '{"mon": ["evening"]}', 16,
	    'any', NULL, NULL, NULL, 500, '{step_free}', 'open',
	    'Tänze aus Thüringen und aus den Herkunftsländern der Mitglieder.'),
	-- 26 Landratsamt Nordhausen
	(75, 26, 'Praktikum in der Kreisverwaltung', 'work_experience',
	    '{praktikum,verwaltung}', '{de}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 3, 'any',
	    NULL, NULL, 'b1', 0, '{step_free,accessible_toilet}', 'open',
	    'Drei Wochen in Sozialamt, Bauamt oder Kfz-Zulassung.'),
	(76, 26, 'Hospitation im Bürgerservice', 'work_experience',
	    '{hospitation,verwaltung}', '{de,ar,ru}', NULL,
	    '{"tue": ["morning"]}', 2, 'any', NULL, NULL, 'b1', 0,
	    '{step_free}', 'closed', 'Die Hospitationsreihe ist beendet.'),
	-- 27 Frauen-Café International Nordhausen
	(77, 27, 'Frauen-Café', 'women_network', '{begegnung,frauen,cafe}',
	    '{de,ar,uk,ti}', NULL, '{"thu": ["afternoon"]}', 20, 'women',
	    NULL, NULL, NULL, 0, '{childcare,step_free}', 'open',
	    'Offener Treff mit Kinderbetreuung.'),
	(78, 27, 'Deutsch üben beim Stricken', 'women_network',
	    '{handarbeit,deutsch,frauen}', '{de,uk,ar}', NULL,
	    '{"tue": ["morning"]}', 10, 'women', NULL, NULL, NULL, 0,
	    '{easy_language}', 'open', 'Handarbeit und Gespräche auf Deutsch.'),
	-- 28 Abrahamische Gesprächsrunde Nordhausen
	(79, 28, 'Gesprächsabend Judentum, Christentum, Islam',
	    'interreligious', '{dialog,religion}', '{de,ar,en}', NULL,
	    '{"wed": ["evening"]}', 20, 'any', NULL, NULL, 'a2', 0,
	    '{step_free}', 'open',
	    'Gemeinsamkeiten und Unterschiede im Alltag.'),
	(80, 28, 'Besuch von Gotteshäusern in der Region', 'interreligious',
	    '{ausflug,religion}', '{de,ar,fa}', NULL, '{"sun": ["afternoon"]}',
	    15, 'any', NULL, NULL, NULL, 0, '{public_transport}', 'paused',
	    'Nächste Ausflüge werden geplant.'),
	-- 29 SV Eintracht Mühlhausen-Ost
	(81, 29, 'Volleyball Mixed', 'sport', '{volleyball,mixed}',
	    '{de,en,uk}', NULL, '{"tue": ["evening"]}', 14, 'any',
	    NULL, NULL, NULL, 900, '{step_free}', 'open',
	    'Freizeitvolleyball für Frauen und Männer.'),
	(82, 29, 'Fußball Freizeitliga', 'sport', '{fussball}', '{de,ar,ps}',
	    NULL, '{"thu": ["evening"]}', 20, 'any', NULL, NULL, NULL, 1000,
	    '{}', 'open', 'Training und Spiele in der Kreisfreizeitliga.'),
	(83, 29, 'Rückenfit für Frauen', 'sport',
	    '{ruecken,gesundheit,frauen}', '{de,ru,ar}', NULL,
	    '{"wed": ["morning"]}', 12, 'women', NULL, NULL, NULL, 500,
	    '{step_free,accessible_toilet}', 'open',
	    'Sanftes Training für einen starken Rücken.'),
	-- 30 Heimatverein Bad Langensalza
	(84, 30, 'Rosengarten-Pflege und Stadtgeschichte', 'civic_local',
	    '{garten,stadtgeschichte}', '{de}', NULL, '{"sat": ["morning"]}',
	    10, 'any', NULL, NULL, 'a2', 0, '{}', 'open',
	    'Rosen schneiden und dabei die Stadt kennenlernen.'),
	(85, 30, 'Heimatabend mit Thüringer Liedern', 'culture_music',
	    '{lieder,tradition}', '{de,ru}', NULL, '{"fri": ["evening"]}', 25,
	    'any', NULL, NULL, NULL, 0, '{step_free}', 'open',
	    'Singen, Erzählen und Thüringer Spezialitäten.'),
	-- 31 Kulturverein Alte Stadtmauer Mühlhausen
	(86, 31, 'Stadtmauer-Führungen mitgestalten', 'culture_music',
	    '{stadtfuehrung,geschichte}', '{de,en}', NULL,
	    '{"sun": ["afternoon"]}', 8, 'any', NULL, NULL, 'b1', 0, '{}',
	    'open', 'Führungen vorbereiten, auch in anderen Sprachen.'),
	(87, 31, 'Trommelgruppe', 'culture_music', '{trommeln,musik}',
	    '{de,ar,ti}', NULL, '{"mon": ["evening"]}', 12, 'any',
	    NULL, NULL, NULL, 500, '{}', 'open',
	    'Rhythmen aus Westafrika, Arabien und Europa.'),
	-- 32 Interreligiöses Forum Unstrut-Hainich
	(88, 32, 'Interreligiöses Friedensgebet', 'interreligious',
	    '{gebet,frieden}', '{de,ar}', NULL, '{"fri": ["evening"]}', 25,
	    'any', NULL, NULL, NULL, 0, '{step_free}', 'open',
	    'Einmal im Monat in der Marienkirche oder der Moschee.'),
	(89, 32, 'Koch-Abend der Kulturen und Religionen', 'interreligious',
	    '{kochen,begegnung}', '{de,ar,tr,fa}', NULL,
	    '{"sat": ["evening"]}', 16, 'any', NULL, NULL, NULL, 0,
	    '{step_free}', 'open', 'Speisen zu Festen aus drei Religionen.'),
	-- 33 Ehrenamtsbörse Bad Tennstedt
	(90, 33, 'Seniorenbegleitung im Kurort', 'social',
	    '{senioren,begleitung}', '{de,ru}', NULL,
	    '{"tue": ["afternoon"], "thu": ["afternoon"]}', 6, 'any',
	    NULL, NULL, 'a2', 0, '{}', 'open',
	    'Spaziergänge und Einkäufe mit älteren Menschen.'),
	(91, 33, 'Mithilfe im Dorfladen', 'civic_local',
	    '{dorfladen,ehrenamt}', '{de}', '99955 Herbsleben',
	    '{"sat": ["morning"]}', 4, 'any', NULL, NULL, 'a2', 0, '{}',
	    'draft', 'Kasse und Regale im genossenschaftlichen Dorfladen.'),
	-- 34 Gleichstellungsstelle Unstrut-Hainich-Kreis
	(92, 34, 'Frauen stärken: Gesprächsgruppe', 'women_network',
	    '{frauen,empowerment}', '{de,ar,fa,uk}', NULL,
	    '{"mon": ["afternoon"]}', 12, 'women', NULL, NULL, NULL, 0,
	    '{childcare,easy_language}', 'open',
	    'Austausch über Alltag, Rechte und eigene Ziele.'),
	(93, 34, 'Praktikum in der Gleichstellungsstelle', 'work_experience',
	    '{praktikum,verwaltung}', '{de,en}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 1, 'any',
	    NULL, NULL, 'b1', 0, '{step_free}', 'open',
	    'Mitarbeit an Veranstaltungen und Beratungsangeboten.'),
	-- 35 Naturschutzverein Hainich-Vorland
	(94, 35, 'Naturschutz-Arbeitseinsätze am Hainich',
	    'environment_animals', '{naturschutz,wald}', '{de,en}', NULL,
	    '{"sat": ["morning"]}', 15, 'any', NULL, NULL, NULL, 0, '{}',
	    'open', 'Hecken pflanzen, Wiesen mähen, Nistkästen bauen.'),
	(95, 35, 'Vogelkundliche Wanderung', 'environment_animals',
	    '{voegel,wandern}', '{de}', NULL, '{"sun": ["morning"]}', 12,
	    'any', NULL, NULL, NULL, 0, '{}', 'open',
	    'Ferngläser werden gestellt.'),
	-- 36 Metallbau Unstrut
	(96, 36, 'Praktikum Metallbau', 'work_experience',
	    '{handwerk,metall,praktikum}', '{de,ar,ru}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 2, 'any',
	    NULL, NULL, 'a2', 0, '{}', 'open',
	    'Zwei bis vier Wochen in Werkstatt und Montage.'),
	(97, 36, 'Schweißen kennenlernen – Schnuppertag', 'work_experience',
	    '{schweissen,berufsorientierung}', '{de,ar}', NULL,
	    '{"fri": ["morning"]}', 4, 'any', 16, 27, NULL, 0, '{}', 'open',
	    'Ein Tag in der Lehrwerkstatt für junge Erwachsene.'),
	-- 37 Reitverein Schlotheim
	(98, 37, 'Reiten und Pferdepflege', 'sport', '{reiten,pferde}',
	    '{de}', NULL, '{"sat": ["afternoon"]}', 6, 'any',
	    NULL, NULL, NULL, 2500, '{}', 'open',
	    'Reitstunden auf Schulpferden, Helm wird gestellt.'),
	(99, 37, 'Stallarbeit für Tierfreunde', 'environment_animals',
	    '{pferde,tiere,ehrenamt}', '{de,uk}', NULL,
	    '{"wed": ["afternoon"]}',
	    4, 'any', NULL, NULL, NULL, 0, '{}', 'open',
	    'Füttern, Misten und Putzen.'),
	-- 38 SV Possen Sondershausen
	(100, 38, 'Fußball für Einsteiger', 'sport', '{fussball,anfaenger}',
	    '{de,ar,fa}', NULL, '{"tue": ["evening"], "thu": ["evening"]}', 20,
	    'any', NULL, NULL, NULL, 800, '{}', 'open',
	    'Training für Erwachsene jeden Alters.'),
	(101, 38, 'Badminton-Treff', 'sport', '{badminton}', '{de,uk,ru}',
	    NULL, '{"wed": ["evening"]}', 12, 'any', NULL, NULL, NULL, 700,
	    '{step_free}', 'open', 'Schläger können geliehen werden.'),
	(102, 38, 'Frauengymnastik', 'sport', '{gymnastik,frauen}',
	    '{de,ru}', NULL, '{"mon": ["morning"]}', 14, 'women',
	    NULL, NULL, NULL, 500, '{step_free}', 'open',
	    'Beweglichkeit und Kraft, für jedes Alter.'),
	-- 39 Heimatverein Sondershausen
	(103, 39, 'Führungen im Schlosspark vorbereiten', 'civic_local',
	    '{geschichte,schloss}', '{de,en}', NULL, '{"thu": ["afternoon"]}',
	    6, 'any', NULL, NULL, 'b1', 0, '{}', 'open',
	    'Recherche und Begleitung von Parkführungen.'),
	(104, 39, 'Heimatverein-Stammtisch', 'leisure_sociability',
	    '{stammtisch,begegnung}', '{de,ru}', NULL, '{"fri": ["evening"]}',
	    20, 'any', NULL, NULL, NULL, 0, '{}', 'open',
	    'Jeden ersten Freitag im Monat in der Gaststätte am Markt.'),
	-- 40 Heimat- und Trachtenverein Bad Frankenhausen
	(105, 40, 'Trachtentanz lernen', 'culture_music',
	    '{tanz,tracht,tradition}', '{de}', NULL, '{"wed": ["evening"]}',
	    12, 'any', NULL, NULL, NULL, 500, '{}', 'open',
	    'Tänze aus dem Kyffhäuserland; Trachten werden geliehen.'),
	(106, 40, 'Kräuterwanderung am Kyffhäuser', 'leisure_sociability',
	    '{wandern,kraeuter,natur}', '{de,ru,uk}', NULL,
	    '{"sun": ["morning"]}', 15, 'any', NULL, NULL, NULL, 0, '{}',
	    'open', 'Wildkräuter sammeln und gemeinsam verarbeiten.'),
	-- 41 Volkshochschule Kyffhäuserkreis
	(107, 41, 'Deutsch für den Beruf B1', 'youth_adult_education',
	    '{deutsch,beruf}', '{de}', NULL,
	    '{"mon": ["evening"], "wed": ["evening"]}', 16, 'any',
	    NULL, NULL, 'a2', 2000, '{step_free,hearing_loop}', 'open',
	    'Telefonieren, E-Mails und Gespräche am Arbeitsplatz.'),
	(108, 41, 'Online-Sprachcafé', 'youth_adult_education',
	    '{sprache,online}', '{de,en,uk,ar}', 'online',
	    '{"thu": ["evening"]}', 20, 'any', NULL, NULL, NULL, 0, '{}',
	    'open', 'Deutsch sprechen im Videotreffen.'),
	-- 42 Frauennetzwerk Kyffhäuser
	(109, 42, 'Frauentreff Artern', 'women_network',
	    '{begegnung,frauen}', '{de,uk,ru,ar}', NULL,
	    '{"tue": ["afternoon"]}', 15, 'women', NULL, NULL, NULL, 0,
	    '{childcare}', 'open', 'Kaffee, Gespräche und Ausflüge.'),
	(110, 42, 'Bewerbungswerkstatt für Frauen', 'women_network',
	    '{bewerbung,beruf,frauen}', '{de,uk}', NULL,
	    '{"thu": ["morning"]}', 8, 'women', NULL, NULL, 'a2', 0,
	    '{childcare}', 'open', 'Unterlagen erstellen und Gespräche üben.'),
	-- 43 Landratsamt Kyffhäuserkreis
	(111, 43, 'Praktikum im Landratsamt', 'work_experience',
	    '{praktikum,verwaltung}', '{de}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 2, 'any',
	    NULL, NULL, 'b1', 0, '{step_free,accessible_toilet}', 'open',
	    'Einblick in Verwaltung und Bürgerservice.'),
	(112, 43, 'Berufsorientierung in der Straßenmeisterei',
	    'work_experience', '{technik,praktikum}', '{de,ru}',
	    '99718 Greußen',
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 2, 'any',
	    NULL, NULL, 'a2', 0, '{}', 'paused',
	    'Wieder ab dem Frühjahr.'),
	-- 44 Freiwillige Feuerwehr Greußen
	(113, 44, 'Freiwillige Feuerwehr: Mitglieder willkommen',
	    'rescue_fire', '{feuerwehr,ehrenamt}', '{de}', NULL,
	    '{"wed": ["evening"]}', 8, 'any', 16, NULL, 'a2', 0, '{}', 'open',
	    'Grundausbildung und Übungsabende.'),
	-- 45 Interkulturelles Begegnungszentrum Artern
	(114, 45, 'Internationaler Kochtreff', 'leisure_sociability',
	    '{kochen,begegnung}', '{de,ar,uk,fa}', NULL,
	    '{"fri": ["afternoon"]}', 16, 'any', NULL, NULL, NULL, 0,
	    '{step_free}', 'open', 'Jede Woche kocht jemand anderes.'),
	(115, 45, 'Lernpaten für Schulkinder', 'school_kindergarten',
	    '{lernen,kinder}', '{de,uk,ar}', NULL,
	    '{"mon": ["afternoon"], "wed": ["afternoon"]}', 10, 'any',
	    NULL, NULL, 'b1', 0, '{}', 'open',
	    'Hausaufgabenhilfe und Lesen mit Grundschulkindern.'),
	(116, 45, 'Nähwerkstatt', 'leisure_sociability',
	    '{naehen,handarbeit}', '{de,ar,ti}', NULL, '{"tue": ["morning"]}',
	    8, 'any', NULL, NULL, NULL, 0, '{}', 'closed',
	    'Die Nähwerkstatt ist umgezogen und geschlossen.'),
	-- 46 Musikverein Ebeleben
	(117, 46, 'Blasorchester: Einsteiger willkommen', 'culture_music',
	    '{blasmusik,instrument}', '{de}', NULL, '{"thu": ["evening"]}', 10,
	    'any', NULL, NULL, NULL, 1000, '{}', 'open',
	    'Leihinstrumente und Unterricht durch Vereinsmitglieder.'),
	(118, 46, 'Musikunterricht für Erwachsene', 'culture_music',
	    '{instrument,unterricht}', '{de,ru}', NULL, '{"sat": ["morning"]}',
	    6, 'any', NULL, NULL, NULL, 2500, '{}', 'draft',
	    'Trompete, Posaune oder Klarinette.'),
	-- 47 SV Blau-Weiß Gotha
	(119, 47, 'Fußball – offenes Training', 'sport',
	    '{fussball,anfaenger}', '{de,ar,fa}', NULL,
	    '{"mon": ["evening"], "wed": ["evening"]}', 22, 'any',
	    NULL, NULL, NULL, 1000, '{public_transport}', 'open',
	    'Für alle ab 18, mit und ohne Vereinserfahrung.'),
	(120, 47, 'Leichtathletik für Erwachsene', 'sport',
	    '{leichtathletik,laufen}', '{de,uk}', NULL, '{"tue": ["evening"]}',
	    15, 'any', NULL, NULL, NULL, 800, '{step_free}', 'open',
	    'Laufen, Springen und Werfen im Stadion.'),
	(121, 47, 'Frauen-Fußball', 'sport', '{fussball,frauen}',
	    '{de,uk,ar}', NULL, '{"thu": ["evening"]}', 18, 'women',
	    NULL, NULL, NULL, 800, '{public_transport}', 'open',
	    'Die Frauenmannschaft sucht Mitspielerinnen.'),
	(122, 47, 'Sportabzeichen-Treff', 'sport', '{sportabzeichen,fitness}',
	    '{de}', NULL, '{"sat": ["morning"]}', 20, 'any',
	    NULL, NULL, NULL, 0, '{}', 'draft',
	    'Training für das Deutsche Sportabzeichen.'),
	-- 48 Radsportverein Thüringer Wald Friedrichroda
	(123, 48, 'Radtouren im Thüringer Wald', 'sport',
	    '{radfahren,natur,touren}', '{de,en}', NULL, '{"sun": ["morning"]}',
	    12, 'any', NULL, NULL, NULL, 500, '{}', 'open',
	    'Touren von 30 bis 60 Kilometern; Leihräder auf Anfrage.'),
	(124, 48, 'Mountainbike-Einsteigerkurs', 'sport',
	    '{mountainbike,anfaenger}', '{de,uk}', NULL,
	    '{"sat": ["afternoon"]}', 8, 'any', NULL, NULL, NULL, 1500, '{}',
	    'paused', 'Pausiert bis zum Frühjahr.'),
	-- 49 Heimatverein Waltershausen
	(125, 49, 'Puppenmuseum und Stadtgeschichte', 'civic_local',
	    '{museum,geschichte}', '{de,en}', NULL, '{"wed": ["afternoon"]}', 6,
	    'any', NULL, NULL, 'a2', 0, '{}', 'open',
	    'Mithelfen im Museum der Puppenstadt.'),
	(126, 49, 'Weihnachtsmarkt mitgestalten', 'civic_local',
	    '{ehrenamt,fest}', '{de,uk,ar}', NULL, '{"sat": ["afternoon"]}', 15,
	    'any', NULL, NULL, NULL, 0, '{}', 'open',
	    'Stände aufbauen, backen und verkaufen.'),
	(127, 49, 'Erzählcafé', 'leisure_sociability',
	    '{erzaehlen,begegnung,senioren}', '{de,ru}', NULL,
	    '{"thu": ["afternoon"]}', 20, 'any', NULL, NULL, NULL, 0,
	    '{step_free,hearing_loop}', 'open',
	    'Ältere Menschen erzählen aus ihrem Leben.'),
	-- 50 Gleichstellungsbüro Landkreis Gotha
	(128, 50, 'Frauen-Infoabend: Rechte und Beratung', 'women_network',
	    '{beratung,frauen}', '{de,ar,fa,uk}', NULL, '{"tue": ["evening"]}',
	    20, 'women', NULL, NULL, NULL, 0,
	    '{childcare,easy_language,step_free}', 'open',
	    'Jeden Monat ein Thema, mit Dolmetscherinnen.'),
	(129, 50, 'Praktikum im Gleichstellungsbüro', 'work_experience',
	    '{praktikum,verwaltung}', '{de}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 1, 'any',
	    NULL, NULL, 'b1', 0, '{step_free}', 'open',
	    'Vier Wochen Einblick in die Arbeit des Büros.'),
	-- 51 Volkshochschule Landkreis Gotha
	(130, 51, 'Deutsch im Beruf A2/B1', 'youth_adult_education',
	    '{deutsch,beruf}', '{de}', NULL,
	    '{"tue": ["morning"], "thu": ["morning"]}', 16, 'any',
	    NULL, NULL, 'a2', 1800, '{step_free,hearing_loop}', 'open',
	    'Sprache für Bewerbung, Arbeitsplatz und Kollegen.'),
	(131, 51, 'Online-Kurs Tabellenkalkulation', 'youth_adult_education',
	    '{computer,online}', '{de,en}', 'online', '{"mon": ["evening"]}',
	    15, 'any', NULL, NULL, 'b1', 2000, '{}', 'open',
	    'Grundlagen der Tabellenkalkulation in sechs Abenden.'),
	(132, 51, 'Töpfern für Anfänger', 'culture_music', '{toepfern,kunst}',
	    '{de,uk}', NULL, '{"wed": ["evening"]}', 10, 'any',
	    NULL, NULL, NULL, 2500, '{}', 'closed',
	    'Der Kurs ist ausgebucht und beendet.'),
	-- 52 Kulturhaus Ohrdruf
	(133, 52, 'Kinokreis mit Gesprächen', 'culture_music',
	    '{film,gespraech}', '{de,en,ar}', NULL, '{"fri": ["evening"]}', 25,
	    'any', NULL, NULL, NULL, 0, '{step_free,hearing_loop}', 'open',
	    'Filme mit Untertiteln und ein Gespräch danach.'),
	(134, 52, 'Band-Projekt', 'culture_music', '{musik,band}',
	    '{de,en,fa}', NULL, '{"thu": ["evening"]}', 8, 'any', 16, 27,
	    NULL, 0, '{}', 'open', 'Junge Musikerinnen und Musiker gesucht.'),
	-- 53 Mitmach-Netzwerk Neudietendorf
	(135, 53, 'Einkaufshilfe für Nachbarn', 'social',
	    '{nachbarschaftshilfe,ehrenamt}', '{de,ru}', NULL,
	    '{"tue": ["morning"], "fri": ["morning"]}', 8, 'any',
	    NULL, NULL, 'a2', 0, '{}', 'open',
	    'Einkäufe für ältere Nachbarn erledigen.'),
	(136, 53, 'Umweltgruppe: Müllsammel-Aktionen', 'environment_animals',
	    '{umwelt,nachhaltigkeit}', '{de,uk,ar}', NULL,
	    '{"sat": ["morning"]}', 20, 'any', NULL, NULL, NULL, 0,
	    '{public_transport}', 'open', 'Aktionen an der Apfelstädt.'),
	-- 54 Landratsamt Gotha
	(137, 54, 'Praktikum in der Kreisverwaltung Gotha', 'work_experience',
	    '{praktikum,verwaltung}', '{de}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 3, 'any',
	    NULL, NULL, 'b1', 0, '{step_free,accessible_toilet}', 'open',
	    'Verschiedene Ämter kennenlernen.'),
	(138, 54, 'Berufsorientierung im Jugendamt', 'work_experience',
	    '{sozialarbeit,praktikum}', '{de,ar,uk}', NULL,
	    '{"tue": ["morning"], "wed": ["morning"]}', 2, 'any',
	    NULL, NULL, 'b1', 0, '{step_free}', 'draft',
	    'Einblick in soziale Berufe.'),
	-- 55 Frauenfrühstück International Gotha
	(139, 55, 'Frauenfrühstück', 'women_network',
	    '{fruehstueck,frauen,begegnung}', '{de,ar,uk,fa}', NULL,
	    '{"sat": ["morning"]}', 25, 'women', NULL, NULL, NULL, 0,
	    '{childcare,step_free}', 'open',
	    'Jeden Samstag, Kinder willkommen.'),
	(140, 55, 'Spaziergang und Gespräch für Frauen', 'women_network',
	    '{spazieren,frauen}', '{de,uk,ru}', NULL, '{"wed": ["afternoon"]}',
	    12, 'women', NULL, NULL, NULL, 0, '{}', 'open',
	    'Eine Stunde durch den Schlosspark.'),
	-- 56 Gesprächskreis der Religionen Gotha
	(141, 56, 'Interreligiöser Gesprächskreis', 'interreligious',
	    '{dialog,religion}', '{de,ar,en}', NULL, '{"mon": ["evening"]}', 20,
	    'any', NULL, NULL, 'a2', 0, '{step_free}', 'open',
	    'Monatliches Gespräch, jedes Mal in einer anderen Gemeinde.'),
	(142, 56, 'Friedensfest vorbereiten', 'interreligious',
	    '{fest,begegnung}', '{de,ar,tr}', NULL, '{"sat": ["afternoon"]}',
	    15, 'any', NULL, NULL, NULL, 0, '{}', 'paused',
	    'Das nächste Fest wird im Frühjahr geplant.'),
	-- 57 Streuobstwiesen-Initiative Tabarz
	(143, 57, 'Streuobstwiesen pflegen', 'environment_animals',
	    '{obst,natur,garten}', '{de}', NULL, '{"sat": ["morning"]}', 15,
	    'any', NULL, NULL, NULL, 0, '{}', 'open',
	    'Bäume schneiden, Wiesen mähen, Zäune reparieren.'),
	(144, 57, 'Apfelernte und Saftpressen', 'environment_animals',
	    '{obst,ernte,familie}', '{de,uk,ar}', NULL,
	    '{"sun": ["afternoon"]}',
	    20, 'any', NULL, NULL, NULL, 0, '{childcare}', 'open',
	    'Im Herbst ernten und pressen, für Familien geeignet.'),
	-- 58 VfB Saalfeld-Gorndorf
	(145, 58, 'Fußball Freizeitteam', 'sport', '{fussball}', '{de,ar,fa}',
	    NULL, '{"tue": ["evening"], "thu": ["evening"]}', 20, 'any',
	    NULL, NULL, NULL, 800, '{}', 'open',
	    'Freizeitfußball auf dem Sportplatz Gorndorf.'),
	(146, 58, 'Gymnastik für Frauen', 'sport', '{gymnastik,frauen}',
	    '{de,uk,ru}', NULL, '{"wed": ["evening"]}', 15, 'women',
	    NULL, NULL, NULL, 500, '{step_free}', 'open',
	    'Eine Stunde Bewegung zu Musik.'),
	(147, 58, 'Seniorensport', 'sport', '{senioren,bewegung}', '{de,ru}',
	    NULL, '{"mon": ["morning"]}', 12, 'any', 60, NULL, NULL, 0,
	    '{step_free,accessible_toilet}', 'open',
	    'Gleichgewicht, Kraft und Beweglichkeit.'),
	-- 59 Kanusportverein Rudolstadt
	(148, 59, 'Kanu-Schnupperkurs auf der Saale', 'sport',
	    '{kanu,wasser,anfaenger}', '{de,en}', NULL,
	    '{"sat": ["afternoon"]}', 8, 'any', NULL, NULL, NULL, 1500, '{}',
	    'open', 'Schwimmen können ist Voraussetzung.'),
	(149, 59, 'Drachenboot-Team', 'sport', '{drachenboot,team}',
	    '{de,uk}', NULL, '{"thu": ["evening"]}', 20, 'any',
	    NULL, NULL, NULL, 1000, '{}', 'open',
	    'Training für die Regatten im Sommer.'),
	-- 60 Heimat- und Geschichtsverein Bad Blankenburg
	(150, 60, 'Arbeitseinsatz auf der Burgruine', 'civic_local',
	    '{burg,geschichte,ehrenamt}', '{de}', NULL, '{"sat": ["morning"]}',
	    12, 'any', NULL, NULL, NULL, 0, '{}', 'open',
	    'Mauern sichern, Wege pflegen, Führungen begleiten.'),
	(151, 60, 'Heimatkundlicher Stammtisch', 'leisure_sociability',
	    '{stammtisch,geschichte}', '{de,ru}', NULL, '{"tue": ["evening"]}',
	    15, 'any', NULL, NULL, NULL, 0, '{}', 'open',
	    'Vorträge und Gespräche zur Stadtgeschichte.'),
	-- 61 Folkfreunde Rudolstadt
	(152, 61, 'Internationale Musik-Session', 'culture_music',
	    '{musik,session,folk}', '{de,en,uk,fa}', NULL,
	    '{"fri": ["evening"]}', 20, 'any', NULL, NULL, NULL, 0,
	    '{step_free}', 'open', 'Instrument mitbringen und mitspielen.'),
	(153, 61, 'Helferteam für das Tanzfest', 'culture_music',
	    '{festival,ehrenamt}', '{de,en}', NULL,
	    '{"sat": ["afternoon"], "sun": ["afternoon"]}', 25, 'any',
	    NULL, NULL, NULL, 0, '{}', 'draft',
	    'Einlass, Bühnen und Infostand im Juli.'),
	-- 62 Volkshochschule Saalfeld-Rudolstadt
	(154, 62, 'Deutsch-Lerncafé', 'youth_adult_education',
	    '{deutsch,lernen}', '{de,uk,ar}', NULL, '{"wed": ["afternoon"]}',
	    15,
	    'any', NULL, NULL, NULL, 0, '{step_free,easy_language}', 'open',
	    'Hausaufgaben vom Integrationskurs und Gespräche.'),
	(155, 62, 'Online-Kurs: Deutsch am Telefon', 'youth_adult_education',
	    '{deutsch,telefon,online}', '{de}', 'online',
	    '{"tue": ["evening"]}',
	    12, 'any', NULL, NULL, 'a2', 1200, '{}', 'open',
	    'Termine vereinbaren, Nachrichten hinterlassen.'),
	-- 63 Gleichstellungsbüro Landkreis Saalfeld-Rudolstadt
	(156, 63, 'Frauen im Beruf – Orientierungsworkshop', 'women_network',
	    '{beruf,frauen}', '{de,uk,ar}', NULL, '{"thu": ["morning"]}', 12,
	    'women', NULL, NULL, NULL, 0, '{childcare,step_free}', 'open',
	    'Berufe kennenlernen, Anerkennung klären, Ziele setzen.'),
	(157, 63, 'Praktikum im Landratsamt', 'work_experience',
	    '{praktikum,verwaltung}', '{de}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 2, 'any',
	    NULL, NULL, 'b1', 0, '{step_free,accessible_toilet}', 'open',
	    'Drei Wochen in der Kreisverwaltung.'),
	-- 64 Christlich-Muslimischer Gesprächskreis Saalfeld
	(158, 64, 'Gesprächsabend über Feste und Bräuche', 'interreligious',
	    '{dialog,feste}', '{de,ar,tr}', NULL, '{"wed": ["evening"]}', 20,
	    'any', NULL, NULL, NULL, 0, '{step_free}', 'open',
	    'Weihnachten, Ramadan, Ostern und Opferfest im Vergleich.'),
	(159, 64, 'Gemeinsam kochen zu Ramadan und Advent', 'interreligious',
	    '{kochen,feste}', '{de,ar,fa}', NULL, '{"sat": ["evening"]}', 16,
	    'any', NULL, NULL, NULL, 0, '{}', 'open',
	    'Festtagsgerichte aus beiden Traditionen.'),
	-- 65 Glaswerk Schwarzatal
	(160, 65, 'Praktikum Glasherstellung', 'work_experience',
	    '{produktion,praktikum}', '{de,ru,uk}', NULL,
	    '{"mon": ["morning"], "tue": ["morning"], "wed": ["morning"], '
	    '"thu": ["morning"], "fri": ["morning"]}', 3, 'any',
	    NULL, NULL, 'a2', 0, '{public_transport}', 'open',
	    'Mitarbeit an Schmelzofen, Formgebung und Qualitätskontrolle.'),
	(161, 65, 'Werksführung und Schnuppertag', 'work_experience',
	    '{berufsorientierung,technik}', '{de,ar}', NULL,
	    '{"fri": ["morning"]}', 10, 'any', NULL, NULL, NULL, 0,
	    '{public_transport}', 'open', 'Einmal im Monat für Interessierte.'),
	-- 66 Freiwilligenzentrum Saalfeld-Rudolstadt
	(162, 66, 'Lesepaten in Kitas', 'school_kindergarten',
	    '{vorlesen,kinder}', '{de}', NULL, '{"tue": ["morning"]}', 8, 'any',
	    NULL, NULL, 'b1', 0, '{}', 'open',
	    'Vorlesen in Kindergärten in Rudolstadt.'),
	(163, 66, 'Begleitung zu Behördenterminen', 'social',
	    '{sprachmittlung,ehrenamt}', '{de,ar,fa,uk,ru}', NULL,
	    '{"mon": ["morning"], "thu": ["morning"]}', 6, 'any',
	    NULL, NULL, 'b1', 0, '{}', 'open',
	    'Ehrenamtliche Sprachmittlung bei Ämtern und Ärzten.'),
	(164, 66, 'Tiertafel helfen', 'environment_animals',
	    '{tiere,ehrenamt}', '{de}', '07318 Saalfeld/Saale',
	    '{"sat": ["morning"]}', 6, 'any', NULL, NULL, NULL, 0, '{}',
	    'closed', 'Die Ausgabestelle hat geschlossen.'),
	-- 67 Frauentreff Unterwellenborn
	(165, 67, 'Frauentreff am Nachmittag', 'women_network',
	    '{begegnung,frauen,kinder}', '{de,uk,ru,ar}', NULL,
	    '{"wed": ["afternoon"]}', 15, 'women', NULL, NULL, NULL, 0,
	    '{childcare}', 'open', 'Gespräche, Basteln und Ausflüge.'),
	(166, 67, 'Yoga für Frauen', 'women_network', '{yoga,frauen}',
	    '{de,uk}', NULL, '{"mon": ["evening"]}', 10, 'women',
	    NULL, NULL, NULL, 500, '{step_free}', 'open',
	    'Sanftes Yoga, Matten sind vorhanden.')
) v (n, org, title, category, tags, languages, place, schedule, capacity,
    audience, age_min, age_max, min_de, cost, access, status, description)
JOIN ch.organization o
    ON o.id = ('b0000000-0000-4000-8000-' || lpad(to_hex(v.org), 12, '0'))::uuid
LEFT JOIN ch.place pl ON pl.postal_code = split_part(v.place, ' ', 1)
    AND pl.name = substr(v.place, 7)
ORDER BY v.n
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------
-- Participants. Person 1 is written out (the demo participant account);
-- persons 2 to 330 are derived from their number n:
--   district   (n - 1) % 20 over a list with Erfurt 7 times, Gotha,
--              Nordhausen and Saalfeld-Rudolstadt 3 times each, the
--              Unstrut-Hainich- and Kyffhäuserkreis twice;
--   origin     mixed over a list of 20 in the proportions of people who
--              arrive in Thuringia (Ukraine 7, Syria 3, Afghanistan 3
--              with Dari and Pashto, and Iraq, Iran, Kurds, Turkey,
--              Eritrea, Somalia and Russian speakers);
--   status     (7n + n / 20) % 20: 0-2 placed, 3-4 paused, 5 closed,
--              otherwise waiting;
--   w          days since the last change of status (waiting since,
--              placed since, closed since), 1 to 200;
--   r          days since registration and first consent, w + 10 to
--              w + 99.

CREATE TEMP TABLE demo_origin (
	origin		text PRIMARY KEY,
	native		text NOT NULL,		-- language code
	female_tenths	integer NOT NULL,	-- women, in tenths
	female		text[] NOT NULL,	-- first names
	male		text[] NOT NULL,
	initials	text NOT NULL,		-- family name initials
	-- Further languages: a list of variants, each a list.
	extra		jsonb NOT NULL
);
INSERT INTO demo_origin VALUES
	('uk', 'uk', 7,
	    '{Olha,Iryna,Nataliia,Oksana,Tetiana,Yuliia,Svitlana,Kateryna,'
	    'Anastasiia,Mariia,Viktoriia,Halyna,Liudmyla,Alina}',
	    '{Oleksandr,Andrii,Serhii,Dmytro,Mykola,Volodymyr,Yurii,Vitalii,'
	    'Bohdan,Maksym}',
	    'KSMPHBTDLZVOR',
	    '[[{"code": "ru", "level": "c1"}],
	      [{"code": "ru", "level": "native"}],
	      [{"code": "ru", "level": "b2"}, {"code": "en", "level": "b1"}],
	      [{"code": "en", "level": "b1"}], [{"code": "ru", "level": "c2"}],
	      [],
	      [{"code": "ru", "level": "c1"}, {"code": "pl", "level": "a2"}]]'),
	('ru', 'ru', 6,
	    '{Elena,Svetlana,Tatjana,Olga,Irina,Ljudmila,Anna,Natalja}',
	    '{Sergej,Alexej,Dmitri,Nikolai,Igor,Wladimir,Pawel}',
	    'IKMPSWGN',
	    '[[{"code": "uk", "level": "b2"}], [{"code": "en", "level": "a2"}],
	      [], [{"code": "kk", "level": "b1"}],
	      [{"code": "uk", "level": "c1"}]]'),
	('ar_sy', 'ar', 4,
	    '{Mariam,Fatima,Rasha,Hiba,Amal,Lina,Nour,Rania,Dalia,Yasmin}',
	    '{Ahmad,Mohammed,Khaled,Omar,Yousef,Mahmoud,Ali,Hassan,Bilal,'
	    'Samer,Tarek,Rami}',
	    'ASHKMRDNYZ',
	    '[[{"code": "en", "level": "b1"}], [{"code": "en", "level": "a2"}],
	      [], [{"code": "tr", "level": "a2"}],
	      [{"code": "fr", "level": "a2"}]]'),
	('ar_iq', 'ar', 4,
	    '{Zainab,Noor,Huda,Sara,Shahad,Maryam}',
	    '{Mustafa,Hussein,Ali,Haider,Karrar,Abbas,Ammar}',
	    'AHJKMSTY',
	    '[[{"code": "en", "level": "a2"}], [],
	      [{"code": "ckb", "level": "b1"}],
	      [{"code": "kmr", "level": "b1"}]]'),
	('prs', 'prs', 4,
	    '{Zahra,Fatema,Masouda,Shabnam,Nilofar,Farzana,Soraya,Marzia}',
	    '{Mohammad,Ali,Hamid,Javid,Mustafa,Rahim,Sayed,Wahid,Farid,Jawad}',
	    'AHKMNRSQ',
	    '[[{"code": "fa", "level": "c1"}],
	      [{"code": "fa", "level": "c2"}, {"code": "en", "level": "a2"}],
	      [{"code": "ps", "level": "b1"}], [{"code": "en", "level": "b1"}],
	      [{"code": "fa", "level": "c1"}]]'),
	('ps', 'ps', 3,
	    '{Malalai,Palwasha,Nazia,Gulalai,Shazia}',
	    '{Khalid,Naqib,Shafiq,Gul,Zabihullah,Wali,Ismail,Idris}',
	    'AKNSWYZ',
	    '[[{"code": "prs", "level": "b2"}],
	      [{"code": "prs", "level": "c1"}],
	      [{"code": "ur", "level": "b1"}],
	      [{"code": "prs", "level": "b1"},
	       {"code": "en", "level": "a2"}]]'),
	('fa', 'fa', 5,
	    '{Maryam,Narges,Leila,Shirin,Parisa,Mahsa,Neda,Sara}',
	    '{Reza,Mehdi,Amir,Hossein,Babak,Arash,Navid,Kaveh}',
	    'AEGHJKMRSTZ',
	    '[[{"code": "en", "level": "b1"}], [{"code": "en", "level": "b2"}],
	      [{"code": "tr", "level": "a2"}], []]'),
	('kmr', 'kmr', 4,
	    '{Rojin,Berivan,Dilan,Zozan,Nesrin,Viyan,Rojda}',
	    '{Baran,Azad,Serhat,Rezan,Dilovan,Shivan,Welat}',
	    'ABDHKMOS',
	    '[[{"code": "ar", "level": "c1"}], [{"code": "tr", "level": "b2"}],
	      [{"code": "ar", "level": "b2"}, {"code": "en", "level": "a2"}],
	      [{"code": "tr", "level": "c1"}]]'),
	('tr', 'tr', 4,
	    '{Elif,Zeynep,Merve,Esra,Buse,Derya,Seda}',
	    '{Emre,Mehmet,Burak,Murat,Can,Kerem,Onur,Yusuf}',
	    'ABCDEKOSTY',
	    '[[{"code": "en", "level": "a2"}], [{"code": "en", "level": "b1"}],
	      [{"code": "kmr", "level": "b1"}], []]'),
	('ti', 'ti', 4,
	    '{Selam,Helen,Saba,Rahel,Feven,Yordanos}',
	    '{Yonas,Dawit,Tesfay,Robel,Merhawi,Filmon,Abel,Samuel}',
	    'ABGHKMTW',
	    '[[{"code": "am", "level": "b1"}], [{"code": "en", "level": "a2"}],
	      [{"code": "ar", "level": "a2"}],
	      [{"code": "am", "level": "b2"}, {"code": "en", "level": "a2"}]]'),
	('so', 'so', 5,
	    '{Hodan,Fadumo,Amina,Sahra,Ifrah,Hibo}',
	    '{Abdirahman,Mohamed,Abdi,Hassan,Yusuf,Ahmed}',
	    'ADHIJMOW',
	    '[[{"code": "ar", "level": "b1"}], [{"code": "en", "level": "a2"}],
	      [{"code": "ar", "level": "a2"}, {"code": "en", "level": "a2"}],
	      []]');

CREATE TEMP TABLE demo_person AS
WITH base AS (
	SELECT n,
	    (ARRAY['16051', '16067', '16062', '16051', '16073', '16064',
		'16051', '16065', '16067', '16051', '16062', '16073',
		'16051', '16064', '16067', '16051', '16065', '16062',
		'16073', '16051'])[(n - 1) % 20 + 1] AS district_id,
	    (ARRAY['uk', 'ar_sy', 'uk', 'prs', 'uk', 'kmr', 'ru', 'uk',
		'ar_sy', 'ti', 'uk', 'fa', 'uk', 'ar_iq', 'prs', 'uk', 'tr',
		'ar_sy', 'ps', 'so'])[((n - 1) * 7 + (n - 1) / 20 * 3) % 20 + 1]
		AS origin,
	    -- German: mostly A1 to B1.
	    (ARRAY['a1', 'a2', 'b1', 'a2', 'a1', 'b1', 'a2', 'b2', 'a1', 'a2',
		'b1', 'a2', 'a1', 'b1', 'a2', 'c1', 'a1', 'a2', 'b1', 'b2'])
		[(n * 13 + n / 20) % 20 + 1] AS de_level,
	    CASE WHEN (n * 7 + n / 20) % 20 < 3 THEN 'placed'
		WHEN (n * 7 + n / 20) % 20 < 5 THEN 'paused'
		WHEN (n * 7 + n / 20) % 20 = 5 THEN 'closed'
		ELSE 'waiting' END AS status,
	    CASE WHEN n % 13 = 0 THEN 1960 + n % 7
		WHEN n % 11 = 3 THEN 2002 + n % 7
		ELSE 1962 + n * 7 % 24 + n * 11 % 23 END AS birth_year,
	    1 + (n * 53 + n / 7) % 200 AS w
	FROM generate_series(2, 330) n
), person AS (
	SELECT b.*, o.native, o.extra, o.female, o.male, o.initials,
	    CASE WHEN n % 67 = 0 THEN 'diverse'
		WHEN n % 71 = 5 THEN 'undisclosed'
		WHEN (n * 3 + n / 10) % 10 < o.female_tenths THEN 'female'
		ELSE 'male' END AS gender,
	    -- One typical week pattern (n % 4 = 0) or two.
	    (ARRAY[
		ch.week_mask('{"mon": ["afternoon"], "tue": ["afternoon"],
		    "wed": ["afternoon"], "thu": ["afternoon"],
		    "fri": ["afternoon"]}'),
		ch.week_mask('{"mon": ["evening"], "tue": ["evening"],
		    "wed": ["evening"], "thu": ["evening"],
		    "fri": ["evening"]}'),
		ch.week_mask('{"sat": ["morning", "afternoon"],
		    "sun": ["afternoon"]}'),
		ch.week_mask('{"tue": ["afternoon", "evening"],
		    "thu": ["afternoon", "evening"]}'),
		ch.week_mask('{"mon": ["evening"], "wed": ["evening"],
		    "sat": ["morning"]}'),
		ch.week_mask('{"mon": ["morning"], "tue": ["morning"],
		    "wed": ["morning"], "thu": ["morning"],
		    "fri": ["morning"]}'),
		ch.week_mask('{"fri": ["afternoon"], "sat": ["morning",
		    "afternoon"], "sun": ["morning", "afternoon"]}'),
		ch.week_mask('{"wed": ["afternoon"], "thu": ["evening"],
		    "sun": ["morning"]}')]) AS weeks,
	    CASE WHEN n % 4 = 0 THEN n / 4 % 8 + 1 ELSE n % 8 + 1 END
		AS week1,
	    CASE WHEN n % 4 = 0 THEN n / 4 % 8 + 1 ELSE (n * 3 + 1) % 8 + 1 END
		AS week2
	FROM base b JOIN demo_origin o USING (origin)
)
SELECT n,
    ('c0000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid AS id,
    district_id,
    CASE WHEN gender = 'female' OR (gender <> 'male' AND n % 2 = 0)
	THEN female[(n * 7 + n / 13) % cardinality(female) + 1]
	ELSE male[(n * 7 + n / 13) % cardinality(male) + 1] END AS first_name,
    substr(initials, (n * 11 + n / 17) % length(initials) + 1, 1) AS initial,
    gender, birth_year, de_level,
    jsonb_build_array(jsonb_build_object('code', native, 'level', 'native'))
	|| (extra -> ((n * 5 + n / 9) % jsonb_array_length(extra)))
	|| jsonb_build_array(jsonb_build_object('code', 'de',
	    'level', de_level)) AS languages,
    -- One to three interests, from lists weighted towards what people
    -- ask for most.
    (SELECT array_agg(c ORDER BY pick) FROM (
	SELECT c, min(pick) AS pick
	FROM unnest(CASE WHEN gender = 'female' THEN ARRAY[
		'sport', 'culture_music', 'women_network',
		'leisure_sociability', 'work_experience', 'social',
		'youth_adult_education', 'environment_animals',
		'school_kindergarten', 'health', 'interreligious',
		'civic_local', 'sport', 'women_network', 'work_experience',
		'leisure_sociability']
	    ELSE ARRAY[
		'sport', 'sport', 'work_experience', 'culture_music',
		'leisure_sociability', 'youth_adult_education',
		'environment_animals', 'rescue_fire', 'social',
		'civic_local', 'interreligious', 'health', 'work_experience',
		'sport', 'church_religion', 'politics'] END)
	    WITH ORDINALITY u (c, i)
	CROSS JOIN LATERAL (VALUES (CASE i
	    WHEN (n * 3) % 16 + 1 THEN 1
	    WHEN (n * 5 + 7) % 16 + 1 THEN 2
	    WHEN (n * 7 + 3) % 16 + 1 THEN 3 END)) k (pick)
	WHERE pick <= 1 + n % 3
	GROUP BY c) picked) AS interests,
    weeks[week1] | weeks[week2] AS availability,
    CASE WHEN week1 = week2 AND week1 = 2 THEN 'evening_only'
	WHEN week1 = week2 AND week1 = 3 THEN 'weekend_only' END AS week_need,
    CASE WHEN district_id = '16051' THEN 3 + n * 7 % 13
	ELSE 8 + n * 5 % 23 END AS radius,
    status, w, w + 10 + n * 29 % 90 AS r
FROM person;

-- The person behind the demo participant account.
INSERT INTO demo_person (n, id, district_id, first_name, initial, gender,
    birth_year, de_level, languages, interests, availability, week_need,
    radius, status, w, r)
VALUES (1, 'c0000000-0000-4000-8000-000000000001', '16051', 'Olena', 'K',
    'female', 1987, 'a2',
    '[{"code": "uk", "level": "native"}, {"code": "ru", "level": "c1"},
      {"code": "de", "level": "a2"}]',
    '{sport,women_network,culture_music}',
    ch.week_mask('{"tue": ["evening"], "thu": ["evening"],
	"sat": ["morning"]}'),
    NULL, 8, 'placed', 34, 96);

-- Home places: about a third live in the district seat, the others in the
-- towns listed in demo_place.
ALTER TABLE demo_person ADD COLUMN home_k integer;
UPDATE demo_person p SET home_k = CASE WHEN p.n = 1 THEN 4 ELSE (
	SELECT CASE WHEN x.k > c.places THEN 1 ELSE x.k END
	FROM (SELECT count(*)::integer AS places FROM demo_place d
	    WHERE d.district_id = p.district_id) c,
	    LATERAL (VALUES ((p.n * 7 + p.n / 5) % (c.places + 4) + 1)) x (k))
    END;

INSERT INTO ch.participant (id, district_id, display_name, gender,
    birth_year, languages, interests, availability, home_place_id,
    mobility_radius_km, needs, assistant_id, status, waiting_since,
    created_at, updated_at)
SELECT p.id, p.district_id, p.first_name || ' ' || p.initial || '.',
    p.gender, p.birth_year, p.languages, p.interests, p.availability,
    pl.id, p.radius,
    array_remove(ARRAY[
	CASE WHEN p.gender = 'female' AND 2026 - p.birth_year BETWEEN 24 AND 45
	    AND p.n % 3 = 0 THEN 'childcare' END,
	CASE WHEN p.n % 19 = 4 OR (2026 - p.birth_year >= 60 AND p.n % 2 = 0)
	    THEN 'step_free_access' END,
	CASE WHEN p.de_level = 'a1' AND p.n % 2 = 0 THEN 'interpreter' END,
	CASE WHEN p.gender = 'female' AND p.n % 6 = 2
	    THEN 'women_only_setting' END,
	CASE WHEN p.n % 5 IN (0, 1, 3) THEN 'public_transport' END,
	CASE WHEN p.n % 3 <> 2 THEN 'low_cost' END,
	p.week_need], NULL),
    CASE p.district_id
	WHEN '16051' THEN 'a0000000-0000-4000-8000-000000000003'::uuid
	WHEN '16067' THEN 'a0000000-0000-4000-8000-000000000005'::uuid END,
    p.status,
    CASE WHEN p.status = 'waiting' THEN now() - interval '1 day' * p.w END,
    now() - interval '1 day' * p.r, now() - interval '1 day' * p.w
FROM demo_person p
JOIN demo_place dp ON dp.district_id = p.district_id AND dp.k = p.home_k
JOIN ch.place pl ON pl.postal_code = dp.postal_code AND pl.name = dp.name
ORDER BY p.n
ON CONFLICT DO NOTHING;

-- Contact details: one row per person, fictitious numbers and addresses.
INSERT INTO ch.participant_contact (participant_id, district_id, email,
    phone, street, postal_code, city, preferred_channel, note)
SELECT p.id, p.district_id,
    CASE WHEN p.n % 4 <> 3
	THEN lower(p.first_name) || '.' || lpad(p.n::text, 3, '0')
	    || '@mail.example' END,
    '+49 151 0000' || lpad(p.n::text, 4, '0'),
    CASE WHEN p.n % 3 = 0 THEN (ARRAY['Bahnhofstraße', 'Lindenweg',
	'Gartenstraße', 'Am Anger', 'Mühlenweg', 'Friedensstraße',
	'Bergstraße', 'Wiesenweg', 'Rosenstraße', 'Am Markt'])
	[p.n % 10 + 1] || ' ' || (1 + p.n * 7 % 60) END,
    CASE WHEN p.n % 3 <> 2 THEN dp.postal_code END,
    CASE WHEN p.n % 3 <> 2 THEN dp.name END,
    (ARRAY['messenger', 'phone', 'messenger', 'sms', 'email', 'in_person',
	'messenger', 'phone'])[p.n % 8 + 1],
    CASE WHEN p.n % 10 = 4 THEN 'Meist erst nachmittags erreichbar.'
	WHEN p.n % 10 = 7 THEN 'Bitte langsam und einfach sprechen.' END
FROM demo_person p
JOIN demo_place dp ON dp.district_id = p.district_id AND dp.k = p.home_k
ORDER BY p.n
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------
-- Consents: at most one record per person and purpose, either standing or
-- withdrawn. Everybody granted matching at registration; closed cases
-- with an odd number withdrew it when they closed.
--   cross_district              standing for n % 6 = 5, withdrawn for
--                               n % 36 = 9
--   share_contact_with_partner  standing for placed people (but not
--                               n % 4 = 2) and for n % 5 = 0; withdrawn
--                               for n % 23 = 11 otherwise
--   statistics                  standing for n % 3 = 0, withdrawn for
--                               n % 31 = 7 otherwise
-- Person 1 has matching, share_contact_with_partner and statistics.

INSERT INTO ch.consent (id, participant_id, district_id, purpose,
    text_version, granted_at, granted_by, granted_by_role, withdrawn_at,
    withdrawn_by, withdrawn_by_role, withdrawal_reason)
SELECT ('e0000000-0000-4000-8000-' || lpad(to_hex(p.n * 4 + c.k), 12,
	    '0'))::uuid,
    p.id, p.district_id, c.purpose, '2026-01',
    now() - interval '1 day' * p.r + interval '1 minute' * c.k,
    coalesce(a.assistant, 'a0000000-0000-4000-8000-000000000003'),
    'assistant',
    CASE WHEN c.withdrawn THEN now() - interval '1 day' * CASE
	WHEN c.purpose = 'matching' THEN p.w ELSE p.w / 2 END END,
    CASE WHEN c.withdrawn THEN coalesce(a.assistant,
	'a0000000-0000-4000-8000-000000000003') END,
    CASE WHEN c.withdrawn THEN 'assistant' END,
    CASE WHEN c.withdrawn THEN 'withdrawn' END
FROM demo_person p
CROSS JOIN LATERAL (VALUES (CASE p.district_id
    WHEN '16051' THEN 'a0000000-0000-4000-8000-000000000003'
    WHEN '16067' THEN 'a0000000-0000-4000-8000-000000000005' END))
    a (assistant)
CROSS JOIN LATERAL (VALUES
	(0, 'matching', true, p.status = 'closed' AND p.n % 2 = 1),
	(1, 'cross_district', p.n % 6 = 5 OR p.n % 36 = 9, p.n % 36 = 9),
	(2, 'share_contact_with_partner',
	    (p.status = 'placed' AND p.n % 4 <> 2) OR p.n % 5 = 0
		OR p.n % 23 = 11,
	    NOT ((p.status = 'placed' AND p.n % 4 <> 2) OR p.n % 5 = 0)),
	(3, 'statistics', p.n % 3 = 0 OR p.n % 31 = 7 OR p.n = 1,
	    p.n % 3 <> 0 AND p.n <> 1)
    ) c (k, purpose, recorded, withdrawn)
WHERE c.recorded
ORDER BY p.n, c.k
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------
-- Placements, after offers and consents: the trigger counts active ones
-- on the offer, whose CHECK refuses overbooking.
--
-- Person 1 trains in the women's gymnastics of the demo organisation.
-- Every other placed person has one active placement in an open offer of
-- their district (of the neighbouring district for n % 12 = 5, who
-- consented to cross_district), chosen by interest, time and distance,
-- then the demo organisation's offers first, so that its account sees a
-- few people; the German level must suffice, and offers with an upper age
-- limit are left out so that the choice does not depend on the year.
-- People with n % 23 = 3 also have an ended placement from before.

INSERT INTO ch.placement (id, participant_id, offer_id, district_id,
    organization_id, status, started_on, created_by, created_at, updated_at)
SELECT 'f0000000-0000-4000-8000-000000000002',
    'c0000000-0000-4000-8000-000000000001',
    f.id, '16051', f.organization_id, 'active', current_date - 34,
    'a0000000-0000-4000-8000-000000000003',
    now() - interval '34 days', now() - interval '34 days'
FROM ch.offer f WHERE f.id = 'd0000000-0000-4000-8000-000000000001'
ON CONFLICT DO NOTHING;

CREATE TEMP TABLE demo_candidate AS
SELECT p.n, p.id AS participant_id, p.district_id, p.w, p.r, p.status,
    f.id AS offer_id, f.organization_id, f.status AS offer_status,
    row_number() OVER (PARTITION BY p.n, f.status = 'open' ORDER BY
	f.category = ANY (p.interests) DESC,
	f.schedule & p.availability <> 0 DESC,
	ch.distance_km(hp.lat, hp.lon, fp.lat, fp.lon) <= p.radius DESC,
	f.organization_id = 'b0000000-0000-4000-8000-000000000001' DESC,
	(p.n * 37 + fo.n * 11) % 101, fo.n) AS rank
FROM demo_person p
JOIN demo_place dp ON dp.district_id = p.district_id AND dp.k = p.home_k
JOIN ch.place hp ON hp.postal_code = dp.postal_code AND hp.name = dp.name
CROSS JOIN LATERAL (SELECT CASE WHEN p.n % 12 = 5 AND EXISTS (
	SELECT 1 FROM ch.consent c WHERE c.participant_id = p.id
	    AND c.purpose = 'cross_district' AND c.withdrawn_at IS NULL)
    THEN CASE p.district_id WHEN '16051' THEN '16067'
	WHEN '16062' THEN '16065' WHEN '16064' THEN '16067'
	WHEN '16065' THEN '16062' WHEN '16067' THEN '16051'
	WHEN '16073' THEN '16051' END
    ELSE p.district_id END AS district_id) target
JOIN ch.offer f ON f.district_id = target.district_id
CROSS JOIN LATERAL (VALUES (('x' || right(f.id::text, 12))::bit(48)::bigint))
    fo (n)
LEFT JOIN ch.place fp ON fp.id = f.place_id
WHERE f.id::text LIKE 'd0000000-0000-4000-8000-%'
    AND f.status IN ('open', 'paused', 'closed')
    AND (f.audience = 'any' OR p.gender = 'female')
    AND f.age_max IS NULL
    AND (f.age_min IS NULL OR 2026 - p.birth_year >= f.age_min)
    AND coalesce(array_position(ARRAY['a1', 'a2', 'b1', 'b2', 'c1', 'c2',
	'native'], f.min_german_level), 0)
	<= array_position(ARRAY['a1', 'a2', 'b1', 'b2', 'c1', 'c2', 'native'],
	    p.de_level)
    AND p.n > 1 AND (p.status = 'placed' OR p.n % 23 = 3);

-- Active: the best open offer.
INSERT INTO ch.placement (id, participant_id, offer_id, district_id,
    organization_id, status, started_on, created_by, created_at, updated_at)
SELECT ('f0000000-0000-4000-8000-' || lpad(to_hex(c.n * 2), 12, '0'))::uuid,
    c.participant_id, c.offer_id, c.district_id, c.organization_id,
    'active', current_date - c.w, 'a0000000-0000-4000-8000-000000000003',
    now() - interval '1 day' * c.w, now() - interval '1 day' * c.w
FROM demo_candidate c
WHERE c.status = 'placed' AND c.offer_status = 'open' AND c.rank = 1
ORDER BY c.n
ON CONFLICT DO NOTHING;

-- Ended: an earlier placement, in an offer that is still open or since
-- paused or closed, in the person's own district.
INSERT INTO ch.placement (id, participant_id, offer_id, district_id,
    organization_id, status, started_on, ended_on, end_reason, created_by,
    created_at, updated_at)
SELECT ('f0000000-0000-4000-8000-' || lpad(to_hex(c.n * 2 + 1), 12, '0'))::uuid,
    c.participant_id, c.offer_id, c.district_id, c.organization_id,
    'ended', current_date - (c.r - 5), current_date - (c.w + 2),
    CASE WHEN c.offer_status = 'closed' THEN 'offer_closed'
	ELSE (ARRAY['completed', 'participant_left', 'not_a_fit', 'other',
	    'completed'])[c.n % 5 + 1] END,
    'a0000000-0000-4000-8000-000000000003',
    now() - interval '1 day' * (c.r - 5), now() - interval '1 day' * (c.w + 2)
FROM demo_candidate c
JOIN ch.offer f ON f.id = c.offer_id
WHERE c.n % 23 = 3 AND f.district_id = c.district_id
    AND c.rank = CASE WHEN c.offer_status = 'open' THEN 2 ELSE 1 END
    AND (c.offer_status <> 'open' OR NOT EXISTS (
	SELECT 1 FROM demo_candidate x WHERE x.n = c.n
	    AND x.offer_status <> 'open'))
ORDER BY c.n
ON CONFLICT DO NOTHING;

DROP TABLE demo_candidate, demo_person, demo_origin, demo_place;
