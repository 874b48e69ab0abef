-- Taxonomies: the fixed vocabularies that profiles, offers and matching
-- refer to by code (activity categories, languages, language levels,
-- occupational fields, qualification levels), with labels per locale.
--
-- Codes are part of the API and never change once published: a term can be
-- relabelled or moved, but not renamed or removed. Other tables check their
-- codes with ch.term_exists(); because terms are never deleted, such a check
-- stays true once it held.

-- A label object maps locale codes to display texts, for example
-- {"de": "Sport und Bewegung", "en": "Sport and exercise", ...}. German and
-- English are always present; other locales are optional.
CREATE FUNCTION ch.labels_ok(l jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
SELECT CASE
    WHEN l IS NULL THEN NULL
    WHEN jsonb_typeof(l) <> 'object' THEN false
    ELSE l ? 'de' AND l ? 'en' AND NOT EXISTS (
        SELECT 1 FROM jsonb_each(l) AS e(locale, label)
        WHERE e.locale !~ '^[a-z]{2,3}$'
           OR jsonb_typeof(e.label) <> 'string'
           OR btrim(e.label #>> '{}') = ''
           OR length(e.label #>> '{}') > 200)
END
$$;

CREATE TABLE ch.taxonomy (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z_]{2,40}$'),
    position    integer NOT NULL,
    description text NOT NULL
);

CREATE TABLE ch.taxonomy_term (
    taxonomy    text NOT NULL REFERENCES ch.taxonomy (name),
    code        text NOT NULL CHECK (code ~ '^[a-z0-9_]{1,40}$'),
    position    integer NOT NULL,
    parent      text,            -- occupational fields: the code one level up, else NULL
    labels      jsonb NOT NULL,  -- {"de": "...", "en": "...", "uk": "...", ...}
    PRIMARY KEY (taxonomy, code),
    UNIQUE (taxonomy, position),
    FOREIGN KEY (taxonomy, parent) REFERENCES ch.taxonomy_term (taxonomy, code),
    CONSTRAINT taxonomy_term_labels CHECK (ch.labels_ok(labels)),
    -- Only occupational fields form a tree. KldB 2010 codes are 1 to 5
    -- digits and each level appends one, so the parent of "8", "81", "813"
    -- is NULL, "8", "81".
    CONSTRAINT taxonomy_term_parent CHECK (CASE taxonomy
        WHEN 'occupational_fields' THEN code ~ '^[0-9]{1,5}$'
            AND parent IS NOT DISTINCT FROM nullif(left(code, -1), '')
        ELSE parent IS NULL END)
);

-- Published codes stay: refuse renaming a code, moving it to another
-- taxonomy, and deleting or truncating terms. Labels, positions and the
-- taxonomy descriptions may change.
CREATE FUNCTION ch.taxonomy_term_frozen() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'taxonomy terms are never removed'
            USING ERRCODE = 'restrict_violation';
    ELSIF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'taxonomy term %/% is published and cannot be deleted',
            OLD.taxonomy, OLD.code
            USING ERRCODE = 'restrict_violation';
    ELSIF NEW.taxonomy IS DISTINCT FROM OLD.taxonomy
       OR NEW.code IS DISTINCT FROM OLD.code THEN
        RAISE EXCEPTION 'taxonomy term %/% is published; its code cannot change',
            OLD.taxonomy, OLD.code
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER taxonomy_term_frozen
    BEFORE UPDATE OF taxonomy, code OR DELETE ON ch.taxonomy_term
    FOR EACH ROW EXECUTE FUNCTION ch.taxonomy_term_frozen();
CREATE TRIGGER taxonomy_term_no_truncate
    BEFORE TRUNCATE ON ch.taxonomy_term
    FOR EACH STATEMENT EXECUTE FUNCTION ch.taxonomy_term_frozen();

-- True if the taxonomy has the code; false for unknown codes and for NULL.
CREATE FUNCTION ch.term_exists(p_taxonomy text, p_code text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
SELECT EXISTS (SELECT 1 FROM ch.taxonomy_term
               WHERE taxonomy = p_taxonomy AND code = p_code)
$$;

INSERT INTO ch.taxonomy (name, position, description) VALUES
    ('activity_categories', 1,
     'Areas of activity: the 14 volunteering areas of the German volunteer '
     'survey (Freiwilligensurvey), plus interreligious dialogue, women''s '
     'networks and work experience (internships, job shadowing).'),
    ('languages', 2,
     'Languages: ISO 639-1 codes, or ISO 639-3 where no two-letter code '
     'exists (prs Dari, kmr Kurmanji, ckb Sorani, gsg German Sign Language).'),
    ('language_levels', 3,
     'Language proficiency: CEFR levels A1 to C2, then native.'),
    ('occupational_fields', 4,
     'Occupational fields: KldB 2010 (Klassifikation der Berufe, Bundesagentur '
     'für Arbeit), areas (1 digit) and main groups (2 digits).'),
    ('qualification_levels', 5,
     'Qualification levels: German and European Qualifications Framework '
     '(DQR/EQF), levels 1 to 8.');

-- Activity categories, in the order of the volunteer survey, then the
-- programme's own areas. Participants see these labels.
INSERT INTO ch.taxonomy_term (taxonomy, code, position, parent, labels)
SELECT 'activity_categories', code, position, NULL, labels::jsonb
FROM (VALUES
    ('sport', 1, '{"de": "Sport und Bewegung", "en": "Sport and exercise",
        "uk": "Спорт і фізична активність", "ru": "Спорт и физическая активность",
        "ar": "الرياضة والنشاط البدني", "fa": "ورزش و فعالیت بدنی",
        "tr": "Spor ve fiziksel aktivite"}'),
    ('culture_music', 2, '{"de": "Kultur und Musik", "en": "Culture and music",
        "uk": "Культура і музика", "ru": "Культура и музыка",
        "ar": "الثقافة والموسيقى", "fa": "فرهنگ و موسیقی",
        "tr": "Kültür ve müzik"}'),
    ('school_kindergarten', 3, '{"de": "Schule und Kindergarten", "en": "School and kindergarten",
        "uk": "Школа і дитячий садок", "ru": "Школа и детский сад",
        "ar": "المدرسة وروضة الأطفال", "fa": "مدرسه و مهدکودک",
        "tr": "Okul ve anaokulu"}'),
    ('church_religion', 4, '{"de": "Kirche und Religion", "en": "Church and religion",
        "uk": "Церква і релігія", "ru": "Церковь и религия",
        "ar": "الكنيسة والدين", "fa": "کلیسا و دین",
        "tr": "Kilise ve din"}'),
    ('social', 5, '{"de": "Soziales", "en": "Social services",
        "uk": "Соціальна сфера", "ru": "Социальная сфера",
        "ar": "العمل الاجتماعي", "fa": "خدمات اجتماعی",
        "tr": "Sosyal hizmetler"}'),
    ('politics', 6, '{"de": "Politik und politische Interessenvertretung",
        "en": "Politics and political advocacy",
        "uk": "Політика і представництво інтересів",
        "ru": "Политика и представительство интересов",
        "ar": "السياسة والمناصرة السياسية", "fa": "سیاست و دفاع از منافع سیاسی",
        "tr": "Siyaset ve siyasi savunuculuk"}'),
    ('civic_local', 7, '{"de": "Bürgerschaftliches Engagement am Wohnort",
        "en": "Local civic engagement",
        "uk": "Громадська активність за місцем проживання",
        "ru": "Гражданская активность по месту жительства",
        "ar": "المشاركة المدنية في مكان السكن", "fa": "مشارکت مدنی در محل زندگی",
        "tr": "Yaşanılan yerde sivil katılım"}'),
    ('professional_interest', 8, '{"de": "Berufliche Interessenvertretung",
        "en": "Professional associations and unions",
        "uk": "Професійні спілки та об’єднання",
        "ru": "Профессиональные союзы и объединения",
        "ar": "النقابات والجمعيات المهنية", "fa": "انجمن‌ها و تشکل‌های صنفی",
        "tr": "Meslek örgütleri ve sendikalar"}'),
    ('environment_animals', 9, '{"de": "Umwelt-, Natur- und Tierschutz",
        "en": "Environment, nature and animal protection",
        "uk": "Охорона довкілля, природи і тварин",
        "ru": "Охрана окружающей среды, природы и животных",
        "ar": "حماية البيئة والطبيعة والحيوانات",
        "fa": "حفاظت از محیط زیست، طبیعت و حیوانات",
        "tr": "Çevre, doğa ve hayvan koruma"}'),
    ('youth_adult_education', 10, '{"de": "Außerschulische Jugendarbeit und Erwachsenenbildung",
        "en": "Youth work and adult education",
        "uk": "Позашкільна робота з молоддю та освіта дорослих",
        "ru": "Внешкольная работа с молодёжью и образование взрослых",
        "ar": "العمل الشبابي وتعليم الكبار", "fa": "کار با جوانان و آموزش بزرگسالان",
        "tr": "Gençlik çalışmaları ve yetişkin eğitimi"}'),
    ('rescue_fire', 11, '{"de": "Rettungsdienst und Freiwillige Feuerwehr",
        "en": "Rescue services and volunteer fire brigade",
        "uk": "Рятувальні служби та добровільна пожежна охорона",
        "ru": "Спасательные службы и добровольная пожарная охрана",
        "ar": "خدمات الإنقاذ والإطفاء التطوعي",
        "fa": "امداد و نجات و آتش‌نشانی داوطلبانه",
        "tr": "Kurtarma hizmetleri ve gönüllü itfaiye"}'),
    ('health', 12, '{"de": "Gesundheit", "en": "Health",
        "uk": "Охорона здоров’я", "ru": "Здравоохранение",
        "ar": "الصحة", "fa": "سلامت",
        "tr": "Sağlık"}'),
    ('justice_security', 13, '{"de": "Justiz und Kriminalprävention",
        "en": "Justice and crime prevention",
        "uk": "Правосуддя та запобігання злочинності",
        "ru": "Правосудие и профилактика преступности",
        "ar": "العدالة ومنع الجريمة", "fa": "دادگستری و پیشگیری از جرم",
        "tr": "Adalet ve suç önleme"}'),
    ('leisure_sociability', 14, '{"de": "Freizeit und Geselligkeit", "en": "Leisure and socialising",
        "uk": "Дозвілля та спілкування", "ru": "Досуг и общение",
        "ar": "أوقات الفراغ واللقاءات الاجتماعية", "fa": "اوقات فراغت و معاشرت",
        "tr": "Boş zaman ve sosyal etkinlikler"}'),
    ('interreligious', 15, '{"de": "Interreligiöser Dialog", "en": "Interfaith dialogue",
        "uk": "Міжрелігійний діалог", "ru": "Межрелигиозный диалог",
        "ar": "الحوار بين الأديان", "fa": "گفت‌وگوی میان‌دینی",
        "tr": "Dinlerarası diyalog"}'),
    ('women_network', 16, '{"de": "Frauennetzwerke", "en": "Women''s networks",
        "uk": "Жіночі спільноти", "ru": "Женские сообщества",
        "ar": "شبكات النساء", "fa": "شبکه‌های زنان",
        "tr": "Kadın ağları"}'),
    ('work_experience', 17, '{"de": "Praktikum und Hospitation", "en": "Internships and job shadowing",
        "uk": "Практика та ознайомлення з професією",
        "ru": "Практика и знакомство с профессией",
        "ar": "التدريب العملي والتعرف على بيئة العمل",
        "fa": "کارآموزی و آشنایی با محیط کار",
        "tr": "Staj ve iş başında gözlem"}')
) AS t (code, position, labels);

-- Languages: German, English, then roughly by how often people arriving in
-- Thuringia speak them. Names follow the usual exonyms of each locale (CLDR
-- where it has them). "ku" is left out on purpose: kmr and ckb cover it.
INSERT INTO ch.taxonomy_term (taxonomy, code, position, parent, labels)
SELECT 'languages', code, position, NULL, labels::jsonb
FROM (VALUES
    ('de', 1, '{"de": "Deutsch", "en": "German", "uk": "німецька", "ru": "немецкий",
        "ar": "الألمانية", "fa": "آلمانی", "tr": "Almanca"}'),
    ('en', 2, '{"de": "Englisch", "en": "English", "uk": "англійська", "ru": "английский",
        "ar": "الإنجليزية", "fa": "انگلیسی", "tr": "İngilizce"}'),
    ('uk', 3, '{"de": "Ukrainisch", "en": "Ukrainian", "uk": "українська", "ru": "украинский",
        "ar": "الأوكرانية", "fa": "اوکراینی", "tr": "Ukraynaca"}'),
    ('ru', 4, '{"de": "Russisch", "en": "Russian", "uk": "російська", "ru": "русский",
        "ar": "الروسية", "fa": "روسی", "tr": "Rusça"}'),
    ('ar', 5, '{"de": "Arabisch", "en": "Arabic", "uk": "арабська", "ru": "арабский",
        "ar": "العربية", "fa": "عربی", "tr": "Arapça"}'),
    ('prs', 6, '{"de": "Dari", "en": "Dari", "uk": "дарі", "ru": "дари",
        "ar": "الدارية", "fa": "دری", "tr": "Darice"}'),
    ('ps', 7, '{"de": "Paschtu", "en": "Pashto", "uk": "пушту", "ru": "пушту",
        "ar": "البشتو", "fa": "پشتو", "tr": "Peştuca"}'),
    ('fa', 8, '{"de": "Persisch (Farsi)", "en": "Persian (Farsi)",
        "uk": "перська (фарсі)", "ru": "персидский (фарси)",
        "ar": "الفارسية", "fa": "فارسی", "tr": "Farsça"}'),
    ('kmr', 9, '{"de": "Kurdisch (Kurmandschi)", "en": "Kurdish (Kurmanji)",
        "uk": "курдська (курманджі)", "ru": "курдский (курманджи)",
        "ar": "الكردية (الكرمانجية)", "fa": "کردی (کرمانجی)", "tr": "Kürtçe (Kurmanci)"}'),
    ('ckb', 10, '{"de": "Kurdisch (Sorani)", "en": "Kurdish (Sorani)",
        "uk": "курдська (сорані)", "ru": "курдский (сорани)",
        "ar": "الكردية (السورانية)", "fa": "کردی (سورانی)", "tr": "Kürtçe (Sorani)"}'),
    ('tr', 11, '{"de": "Türkisch", "en": "Turkish", "uk": "турецька", "ru": "турецкий",
        "ar": "التركية", "fa": "ترکی استانبولی", "tr": "Türkçe"}'),
    ('ti', 12, '{"de": "Tigrinya", "en": "Tigrinya", "uk": "тигринья", "ru": "тигринья",
        "ar": "التغرينية", "fa": "تیگرینیایی", "tr": "Tigrinya dili"}'),
    ('so', 13, '{"de": "Somali", "en": "Somali", "uk": "сомалі", "ru": "сомали",
        "ar": "الصومالية", "fa": "سومالیایی", "tr": "Somalice"}'),
    ('am', 14, '{"de": "Amharisch", "en": "Amharic", "uk": "амхарська", "ru": "амхарский",
        "ar": "الأمهرية", "fa": "امهری", "tr": "Amharca"}'),
    ('om', 15, '{"de": "Oromo", "en": "Oromo", "uk": "оромо", "ru": "оромо",
        "ar": "الأورومية", "fa": "اورومویی", "tr": "Oromo dili"}'),
    ('ka', 16, '{"de": "Georgisch", "en": "Georgian", "uk": "грузинська", "ru": "грузинский",
        "ar": "الجورجية", "fa": "گرجی", "tr": "Gürcüce"}'),
    ('ro', 17, '{"de": "Rumänisch", "en": "Romanian", "uk": "румунська", "ru": "румынский",
        "ar": "الرومانية", "fa": "رومانیایی", "tr": "Rumence"}'),
    ('bg', 18, '{"de": "Bulgarisch", "en": "Bulgarian", "uk": "болгарська", "ru": "болгарский",
        "ar": "البلغارية", "fa": "بلغاری", "tr": "Bulgarca"}'),
    ('pl', 19, '{"de": "Polnisch", "en": "Polish", "uk": "польська", "ru": "польский",
        "ar": "البولندية", "fa": "لهستانی", "tr": "Lehçe"}'),
    ('vi', 20, '{"de": "Vietnamesisch", "en": "Vietnamese", "uk": "в’єтнамська", "ru": "вьетнамский",
        "ar": "الفيتنامية", "fa": "ویتنامی", "tr": "Vietnamca"}'),
    ('sq', 21, '{"de": "Albanisch", "en": "Albanian", "uk": "албанська", "ru": "албанский",
        "ar": "الألبانية", "fa": "آلبانیایی", "tr": "Arnavutça"}'),
    ('sr', 22, '{"de": "Serbisch", "en": "Serbian", "uk": "сербська", "ru": "сербский",
        "ar": "الصربية", "fa": "صربی", "tr": "Sırpça"}'),
    ('bs', 23, '{"de": "Bosnisch", "en": "Bosnian", "uk": "боснійська", "ru": "боснийский",
        "ar": "البوسنية", "fa": "بوسنیایی", "tr": "Boşnakça"}'),
    ('hr', 24, '{"de": "Kroatisch", "en": "Croatian", "uk": "хорватська", "ru": "хорватский",
        "ar": "الكرواتية", "fa": "کرواتی", "tr": "Hırvatça"}'),
    ('mk', 25, '{"de": "Mazedonisch", "en": "Macedonian", "uk": "македонська", "ru": "македонский",
        "ar": "المقدونية", "fa": "مقدونی", "tr": "Makedonca"}'),
    ('fr', 26, '{"de": "Französisch", "en": "French", "uk": "французька", "ru": "французский",
        "ar": "الفرنسية", "fa": "فرانسوی", "tr": "Fransızca"}'),
    ('es', 27, '{"de": "Spanisch", "en": "Spanish", "uk": "іспанська", "ru": "испанский",
        "ar": "الإسبانية", "fa": "اسپانیایی", "tr": "İspanyolca"}'),
    ('pt', 28, '{"de": "Portugiesisch", "en": "Portuguese", "uk": "португальська", "ru": "португальский",
        "ar": "البرتغالية", "fa": "پرتغالی", "tr": "Portekizce"}'),
    ('it', 29, '{"de": "Italienisch", "en": "Italian", "uk": "італійська", "ru": "итальянский",
        "ar": "الإيطالية", "fa": "ایتالیایی", "tr": "İtalyanca"}'),
    ('hi', 30, '{"de": "Hindi", "en": "Hindi", "uk": "гінді", "ru": "хинди",
        "ar": "الهندية", "fa": "هندی", "tr": "Hintçe"}'),
    ('ur', 31, '{"de": "Urdu", "en": "Urdu", "uk": "урду", "ru": "урду",
        "ar": "الأوردية", "fa": "اردو", "tr": "Urduca"}'),
    ('bn', 32, '{"de": "Bengalisch", "en": "Bengali", "uk": "бенгальська", "ru": "бенгальский",
        "ar": "البنغالية", "fa": "بنگالی", "tr": "Bengalce"}'),
    ('ta', 33, '{"de": "Tamil", "en": "Tamil", "uk": "тамільська", "ru": "тамильский",
        "ar": "التاميلية", "fa": "تامیلی", "tr": "Tamilce"}'),
    ('zh', 34, '{"de": "Chinesisch", "en": "Chinese", "uk": "китайська", "ru": "китайский",
        "ar": "الصينية", "fa": "چینی", "tr": "Çince"}'),
    ('az', 35, '{"de": "Aserbaidschanisch", "en": "Azerbaijani", "uk": "азербайджанська",
        "ru": "азербайджанский", "ar": "الأذربيجانية", "fa": "ترکی آذربایجانی",
        "tr": "Azerbaycan dili"}'),
    ('hy', 36, '{"de": "Armenisch", "en": "Armenian", "uk": "вірменська", "ru": "армянский",
        "ar": "الأرمنية", "fa": "ارمنی", "tr": "Ermenice"}'),
    ('be', 37, '{"de": "Belarussisch", "en": "Belarusian", "uk": "білоруська", "ru": "белорусский",
        "ar": "البيلاروسية", "fa": "بلاروسی", "tr": "Belarusça"}'),
    ('kk', 38, '{"de": "Kasachisch", "en": "Kazakh", "uk": "казахська", "ru": "казахский",
        "ar": "الكازاخية", "fa": "قزاقی", "tr": "Kazakça"}'),
    ('uz', 39, '{"de": "Usbekisch", "en": "Uzbek", "uk": "узбецька", "ru": "узбекский",
        "ar": "الأوزبكية", "fa": "ازبکی", "tr": "Özbekçe"}'),
    ('el', 40, '{"de": "Griechisch", "en": "Greek", "uk": "грецька", "ru": "греческий",
        "ar": "اليونانية", "fa": "یونانی", "tr": "Yunanca"}'),
    ('hu', 41, '{"de": "Ungarisch", "en": "Hungarian", "uk": "угорська", "ru": "венгерский",
        "ar": "الهنغارية", "fa": "مجاری", "tr": "Macarca"}'),
    ('cs', 42, '{"de": "Tschechisch", "en": "Czech", "uk": "чеська", "ru": "чешский",
        "ar": "التشيكية", "fa": "چکی", "tr": "Çekçe"}'),
    ('sk', 43, '{"de": "Slowakisch", "en": "Slovak", "uk": "словацька", "ru": "словацкий",
        "ar": "السلوفاكية", "fa": "اسلواکی", "tr": "Slovakça"}'),
    ('nl', 44, '{"de": "Niederländisch", "en": "Dutch", "uk": "нідерландська", "ru": "нидерландский",
        "ar": "الهولندية", "fa": "هلندی", "tr": "Felemenkçe"}'),
    ('sw', 45, '{"de": "Swahili", "en": "Swahili", "uk": "суахілі", "ru": "суахили",
        "ar": "السواحلية", "fa": "سواحیلی", "tr": "Svahili dili"}'),
    ('ha', 46, '{"de": "Hausa", "en": "Hausa", "uk": "хауса", "ru": "хауса",
        "ar": "الهوسا", "fa": "هوسایی", "tr": "Hausa dili"}'),
    ('yo', 47, '{"de": "Yoruba", "en": "Yoruba", "uk": "йоруба", "ru": "йоруба",
        "ar": "اليوروبا", "fa": "یوروبایی", "tr": "Yorubaca"}'),
    ('ig', 48, '{"de": "Igbo", "en": "Igbo", "uk": "ігбо", "ru": "игбо",
        "ar": "الإيجبو", "fa": "ایگبویی", "tr": "İbo dili"}'),
    ('ln', 49, '{"de": "Lingala", "en": "Lingala", "uk": "лінгала", "ru": "лингала",
        "ar": "اللينجالا", "fa": "لینگالا", "tr": "Lingala dili"}'),
    ('wo', 50, '{"de": "Wolof", "en": "Wolof", "uk": "волоф", "ru": "волоф",
        "ar": "الولوفية", "fa": "ولوفی", "tr": "Volofça"}'),
    ('gsg', 51, '{"de": "Deutsche Gebärdensprache (DGS)", "en": "German Sign Language (DGS)",
        "uk": "німецька жестова мова", "ru": "немецкий жестовый язык",
        "ar": "لغة الإشارة الألمانية", "fa": "زبان اشاره آلمانی",
        "tr": "Alman İşaret Dili"}')
) AS t (code, position, labels);

-- CEFR levels in ascending order; "native" ranks above C2.
INSERT INTO ch.taxonomy_term (taxonomy, code, position, parent, labels)
SELECT 'language_levels', code, position, NULL, labels::jsonb
FROM (VALUES
    ('a1', 1, '{"de": "A1 – Anfänger", "en": "A1 – Beginner",
        "uk": "A1 – початковий", "ru": "A1 – начальный",
        "ar": "A1 – مبتدئ", "fa": "A1 – مبتدی", "tr": "A1 – Başlangıç"}'),
    ('a2', 2, '{"de": "A2 – Grundlegende Kenntnisse", "en": "A2 – Elementary",
        "uk": "A2 – елементарний", "ru": "A2 – элементарный",
        "ar": "A2 – أساسي", "fa": "A2 – مقدماتی", "tr": "A2 – Temel"}'),
    ('b1', 3, '{"de": "B1 – Fortgeschrittene Sprachverwendung", "en": "B1 – Intermediate",
        "uk": "B1 – середній", "ru": "B1 – средний",
        "ar": "B1 – متوسط", "fa": "B1 – متوسط", "tr": "B1 – Orta"}'),
    ('b2', 4, '{"de": "B2 – Selbständige Sprachverwendung", "en": "B2 – Upper intermediate",
        "uk": "B2 – вище середнього", "ru": "B2 – выше среднего",
        "ar": "B2 – فوق المتوسط", "fa": "B2 – بالاتر از متوسط", "tr": "B2 – Orta üstü"}'),
    ('c1', 5, '{"de": "C1 – Fachkundige Sprachkenntnisse", "en": "C1 – Advanced",
        "uk": "C1 – високий", "ru": "C1 – продвинутый",
        "ar": "C1 – متقدم", "fa": "C1 – پیشرفته", "tr": "C1 – İleri"}'),
    ('c2', 6, '{"de": "C2 – Annähernd muttersprachliche Kenntnisse", "en": "C2 – Proficient",
        "uk": "C2 – досконалий", "ru": "C2 – владение в совершенстве",
        "ar": "C2 – إتقان تام", "fa": "C2 – تسلط کامل", "tr": "C2 – Ustalık"}'),
    ('native', 7, '{"de": "Muttersprache", "en": "Native language",
        "uk": "Рідна мова", "ru": "Родной язык",
        "ar": "اللغة الأم", "fa": "زبان مادری", "tr": "Ana dil"}')
) AS t (code, position, labels);

-- KldB 2010: the 10 occupational areas (Berufsbereiche) and 37 main groups
-- (Berufshauptgruppen) with their official German titles. Positions follow
-- the code read as a tree: rpad(code, 5, '0') * 10 + length(code), so an
-- area comes right before its groups and the 3- to 5-digit levels can be
-- added later without renumbering.
INSERT INTO ch.taxonomy_term (taxonomy, code, position, parent, labels)
SELECT 'occupational_fields', code, position, parent, labels::jsonb
FROM (VALUES
    ('0', 1, NULL, '{"de": "Militär", "en": "Military",
        "uk": "Військова справа", "ar": "المهن العسكرية"}'),
    ('01', 10002, '0', '{"de": "Angehörige der regulären Streitkräfte",
        "en": "Members of the regular armed forces",
        "uk": "Військовослужбовці регулярних збройних сил",
        "ar": "أفراد القوات المسلحة النظامية"}'),
    ('1', 100001, NULL, '{"de": "Land-, Forst- und Tierwirtschaft und Gartenbau",
        "en": "Agriculture, forestry, animal husbandry and horticulture",
        "uk": "Сільське і лісове господарство, тваринництво та садівництво",
        "ar": "الزراعة والغابات وتربية الحيوانات والبستنة"}'),
    ('11', 110002, '1', '{"de": "Land-, Tier- und Forstwirtschaftsberufe",
        "en": "Agriculture, animal husbandry and forestry",
        "uk": "Сільське господарство, тваринництво та лісове господарство",
        "ar": "مهن الزراعة وتربية الحيوانات والغابات"}'),
    ('12', 120002, '1', '{"de": "Gartenbauberufe und Floristik",
        "en": "Horticulture and floristry",
        "uk": "Садівництво та флористика",
        "ar": "مهن البستنة وتنسيق الزهور"}'),
    ('2', 200001, NULL, '{"de": "Rohstoffgewinnung, Produktion und Fertigung",
        "en": "Raw materials, production and manufacturing",
        "uk": "Видобування сировини, виробництво та виготовлення",
        "ar": "استخراج المواد الخام والإنتاج والتصنيع"}'),
    ('21', 210002, '2', '{"de": "Rohstoffgewinnung und -aufbereitung, Glas- und Keramikherstellung und -verarbeitung",
        "en": "Extraction and processing of raw materials, glass and ceramics",
        "uk": "Видобування та переробка сировини, виробництво й обробка скла та кераміки",
        "ar": "استخراج المواد الخام ومعالجتها، وصناعة الزجاج والخزف"}'),
    ('22', 220002, '2', '{"de": "Kunststoffherstellung und -verarbeitung, Holzbe- und -verarbeitung",
        "en": "Plastics making and processing, woodworking",
        "uk": "Виробництво та переробка пластмас, деревообробка",
        "ar": "صناعة البلاستيك ومعالجته، وتصنيع الخشب ومعالجته"}'),
    ('23', 230002, '2', '{"de": "Papier- und Druckberufe, technische Mediengestaltung",
        "en": "Paper, printing and technical media design",
        "uk": "Паперове виробництво, поліграфія та технічний медіадизайн",
        "ar": "مهن الورق والطباعة والتصميم التقني للوسائط"}'),
    ('24', 240002, '2', '{"de": "Metallerzeugung und -bearbeitung, Metallbauberufe",
        "en": "Metal production, metalworking and metal construction",
        "uk": "Виробництво та обробка металів, металеві конструкції",
        "ar": "إنتاج المعادن وتشكيلها والإنشاءات المعدنية"}'),
    ('25', 250002, '2', '{"de": "Maschinen- und Fahrzeugtechnikberufe",
        "en": "Mechanical and automotive engineering",
        "uk": "Машинобудування та автомобільна техніка",
        "ar": "مهن تقنيات الآلات والمركبات"}'),
    ('26', 260002, '2', '{"de": "Mechatronik-, Energie- und Elektroberufe",
        "en": "Mechatronics, energy and electrical occupations",
        "uk": "Мехатроніка, енергетика та електротехніка",
        "ar": "مهن الميكاترونيك والطاقة والكهرباء"}'),
    ('27', 270002, '2', '{"de": "Technische Forschungs-, Entwicklungs-, Konstruktions- und Produktionssteuerungsberufe",
        "en": "Technical research, development, design and production planning",
        "uk": "Технічні дослідження, розробка, конструювання та управління виробництвом",
        "ar": "البحث والتطوير التقني والتصميم الهندسي وتخطيط الإنتاج"}'),
    ('28', 280002, '2', '{"de": "Textil- und Lederberufe",
        "en": "Textiles and leather",
        "uk": "Текстильне та шкіряне виробництво",
        "ar": "مهن النسيج والجلود"}'),
    ('29', 290002, '2', '{"de": "Lebensmittelherstellung und -verarbeitung",
        "en": "Food production and processing",
        "uk": "Виробництво та переробка харчових продуктів",
        "ar": "إنتاج الأغذية وتصنيعها"}'),
    ('3', 300001, NULL, '{"de": "Bau, Architektur, Vermessung und Gebäudetechnik",
        "en": "Construction, architecture, surveying and building services",
        "uk": "Будівництво, архітектура, геодезія та інженерні системи будівель",
        "ar": "البناء والعمارة والمساحة وتقنيات المباني"}'),
    ('31', 310002, '3', '{"de": "Bauplanungs-, Architektur- und Vermessungsberufe",
        "en": "Construction planning, architecture and surveying",
        "uk": "Проєктування будівництва, архітектура та геодезія",
        "ar": "مهن تخطيط البناء والعمارة والمساحة"}'),
    ('32', 320002, '3', '{"de": "Hoch- und Tiefbauberufe",
        "en": "Building construction and civil engineering",
        "uk": "Будівництво будівель та інженерних споруд",
        "ar": "مهن البناء والأشغال المدنية"}'),
    ('33', 330002, '3', '{"de": "(Innen-)Ausbauberufe",
        "en": "Interior finishing",
        "uk": "Внутрішні оздоблювальні роботи",
        "ar": "مهن التشطيبات الداخلية"}'),
    ('34', 340002, '3', '{"de": "Gebäude- und versorgungstechnische Berufe",
        "en": "Building services and utility engineering",
        "uk": "Інженерні системи будівель і комунальні мережі",
        "ar": "مهن تقنيات المباني وشبكات الإمداد"}'),
    ('4', 400001, NULL, '{"de": "Naturwissenschaft, Geografie und Informatik",
        "en": "Natural sciences, geography and computer science",
        "uk": "Природничі науки, географія та інформатика",
        "ar": "العلوم الطبيعية والجغرافيا وعلوم الحاسوب"}'),
    ('41', 410002, '4', '{"de": "Mathematik-, Biologie-, Chemie- und Physikberufe",
        "en": "Mathematics, biology, chemistry and physics",
        "uk": "Математика, біологія, хімія та фізика",
        "ar": "مهن الرياضيات والأحياء والكيمياء والفيزياء"}'),
    ('42', 420002, '4', '{"de": "Geologie-, Geografie- und Umweltschutzberufe",
        "en": "Geology, geography and environmental protection",
        "uk": "Геологія, географія та охорона довкілля",
        "ar": "مهن الجيولوجيا والجغرافيا وحماية البيئة"}'),
    ('43', 430002, '4', '{"de": "Informatik-, Informations- und Kommunikationstechnologieberufe",
        "en": "Computer science, information and communication technology",
        "uk": "Інформатика, інформаційні та комунікаційні технології",
        "ar": "مهن علوم الحاسوب وتقنية المعلومات والاتصالات"}'),
    ('5', 500001, NULL, '{"de": "Verkehr, Logistik, Schutz und Sicherheit",
        "en": "Transport, logistics, protection and security",
        "uk": "Транспорт, логістика, охорона та безпека",
        "ar": "النقل والخدمات اللوجستية والحماية والأمن"}'),
    ('51', 510002, '5', '{"de": "Verkehrs- und Logistikberufe (außer Fahrzeugführung)",
        "en": "Transport and logistics (except driving)",
        "uk": "Транспорт і логістика (крім керування транспортними засобами)",
        "ar": "مهن النقل والخدمات اللوجستية (باستثناء قيادة المركبات)"}'),
    ('52', 520002, '5', '{"de": "Führer/innen von Fahrzeug- und Transportgeräten",
        "en": "Drivers and operators of vehicles and transport equipment",
        "uk": "Водії та оператори транспортних засобів і транспортного обладнання",
        "ar": "سائقو المركبات ومشغلو معدات النقل"}'),
    ('53', 530002, '5', '{"de": "Schutz-, Sicherheits- und Überwachungsberufe",
        "en": "Protection, security and surveillance",
        "uk": "Захист, безпека та нагляд",
        "ar": "مهن الحماية والأمن والمراقبة"}'),
    ('54', 540002, '5', '{"de": "Reinigungsberufe",
        "en": "Cleaning",
        "uk": "Прибирання",
        "ar": "مهن التنظيف"}'),
    ('6', 600001, NULL, '{"de": "Kaufmännische Dienstleistungen, Warenhandel, Vertrieb, Hotel und Tourismus",
        "en": "Commercial services, trade, sales, hotels and tourism",
        "uk": "Комерційні послуги, торгівля, збут, готельна справа та туризм",
        "ar": "الخدمات التجارية وتجارة السلع والمبيعات والفنادق والسياحة"}'),
    ('61', 610002, '6', '{"de": "Einkaufs-, Vertriebs- und Handelsberufe",
        "en": "Purchasing, sales and trading",
        "uk": "Закупівлі, збут і торгівля",
        "ar": "مهن المشتريات والمبيعات والتجارة"}'),
    ('62', 620002, '6', '{"de": "Verkaufsberufe",
        "en": "Retail sales",
        "uk": "Роздрібний продаж",
        "ar": "مهن البيع بالتجزئة"}'),
    ('63', 630002, '6', '{"de": "Tourismus-, Hotel- und Gaststättenberufe",
        "en": "Tourism, hotels and restaurants",
        "uk": "Туризм, готельна справа та ресторанне господарство",
        "ar": "مهن السياحة والفنادق والمطاعم"}'),
    ('7', 700001, NULL, '{"de": "Unternehmensorganisation, Buchhaltung, Recht und Verwaltung",
        "en": "Business organisation, accounting, law and administration",
        "uk": "Організація підприємств, бухгалтерія, право та адміністрування",
        "ar": "تنظيم الأعمال والمحاسبة والقانون والإدارة"}'),
    ('71', 710002, '7', '{"de": "Berufe in Unternehmensführung und -organisation",
        "en": "Business management and organisation",
        "uk": "Управління та організація підприємств",
        "ar": "مهن إدارة الأعمال وتنظيمها"}'),
    ('72', 720002, '7', '{"de": "Finanzdienstleistungs-, Rechnungswesen- und Steuerberatungsberufe",
        "en": "Financial services, accounting and tax advice",
        "uk": "Фінансові послуги, бухгалтерський облік і податкове консультування",
        "ar": "مهن الخدمات المالية والمحاسبة والاستشارات الضريبية"}'),
    ('73', 730002, '7', '{"de": "Berufe in Recht und Verwaltung",
        "en": "Law and public administration",
        "uk": "Право та державне управління",
        "ar": "مهن القانون والإدارة العامة"}'),
    ('8', 800001, NULL, '{"de": "Gesundheit, Soziales, Lehre und Erziehung",
        "en": "Health, social services, teaching and education",
        "uk": "Охорона здоров’я, соціальна сфера, навчання та виховання",
        "ar": "الصحة والخدمات الاجتماعية والتعليم والتربية"}'),
    ('81', 810002, '8', '{"de": "Medizinische Gesundheitsberufe",
        "en": "Medical and healthcare professions",
        "uk": "Медичні професії",
        "ar": "المهن الطبية والصحية"}'),
    ('82', 820002, '8', '{"de": "Nichtmedizinische Gesundheits-, Körperpflege- und Wellnessberufe, Medizintechnik",
        "en": "Non-medical health, body care and wellness, medical technology",
        "uk": "Немедичні професії у сфері здоров’я, догляду за тілом і велнесу, медична техніка",
        "ar": "مهن الصحة غير الطبية والعناية بالجسم والعافية، والتقنيات الطبية"}'),
    ('83', 830002, '8', '{"de": "Erziehung, soziale und hauswirtschaftliche Berufe, Theologie",
        "en": "Education, social work, housekeeping and theology",
        "uk": "Виховання, соціальна робота, домашнє господарство та теологія",
        "ar": "التربية والعمل الاجتماعي والتدبير المنزلي والعلوم الدينية"}'),
    ('84', 840002, '8', '{"de": "Lehrende und ausbildende Berufe",
        "en": "Teaching and training",
        "uk": "Викладання та професійне навчання",
        "ar": "مهن التدريس والتدريب"}'),
    ('9', 900001, NULL, '{"de": "Sprach-, Literatur-, Geistes-, Gesellschafts- und Wirtschaftswissenschaften, Medien, Kunst, Kultur und Gestaltung",
        "en": "Languages, literature, humanities, social sciences, economics, media, art, culture and design",
        "uk": "Мови, література, гуманітарні, суспільні та економічні науки, медіа, мистецтво, культура та дизайн",
        "ar": "اللغات والآداب والعلوم الإنسانية والاجتماعية والاقتصادية والإعلام والفنون والثقافة والتصميم"}'),
    ('91', 910002, '9', '{"de": "Sprach-, literatur-, geistes-, gesellschafts- und wirtschaftswissenschaftliche Berufe",
        "en": "Languages, literature, humanities, social sciences and economics",
        "uk": "Мови, література, гуманітарні, суспільні та економічні науки",
        "ar": "مهن اللغات والآداب والعلوم الإنسانية والاجتماعية والاقتصادية"}'),
    ('92', 920002, '9', '{"de": "Werbung, Marketing, kaufmännische und redaktionelle Medienberufe",
        "en": "Advertising, marketing, commercial and editorial media",
        "uk": "Реклама, маркетинг, комерційні та редакційні медіапрофесії",
        "ar": "الإعلان والتسويق ومهن الإعلام التجارية والتحريرية"}'),
    ('93', 930002, '9', '{"de": "Produktdesign und kunsthandwerkliche Berufe, bildende Kunst, Musikinstrumentenbau",
        "en": "Product design, arts and crafts, fine arts, musical instrument making",
        "uk": "Дизайн виробів, художні ремесла, образотворче мистецтво, виготовлення музичних інструментів",
        "ar": "تصميم المنتجات والحرف الفنية والفنون التشكيلية وصناعة الآلات الموسيقية"}'),
    ('94', 940002, '9', '{"de": "Darstellende und unterhaltende Berufe",
        "en": "Performing arts and entertainment",
        "uk": "Виконавське мистецтво та розваги",
        "ar": "فنون الأداء والترفيه"}')
) AS t (code, position, parent, labels);

-- DQR/EQF levels with typical German qualifications, so that a foreign
-- qualification can be placed after a recognition decision.
INSERT INTO ch.taxonomy_term (taxonomy, code, position, parent, labels)
SELECT 'qualification_levels', code, position, NULL, labels::jsonb
FROM (VALUES
    ('dqr1', 1, '{"de": "DQR 1 – Berufsausbildungsvorbereitung (z. B. Berufsvorbereitungsjahr)",
        "en": "DQR/EQF 1 – Pre-vocational training (e.g. prevocational year)",
        "uk": "DQR/EQF 1 – допрофесійна підготовка",
        "ar": "DQR/EQF 1 – التأهيل المسبق للتدريب المهني"}'),
    ('dqr2', 2, '{"de": "DQR 2 – Hauptschulabschluss, Berufsvorbereitung, Einstiegsqualifizierung",
        "en": "DQR/EQF 2 – Lower secondary school certificate, pre-vocational training",
        "uk": "DQR/EQF 2 – базова шкільна освіта (Hauptschulabschluss), допрофесійна підготовка",
        "ar": "DQR/EQF 2 – الشهادة المدرسية الأساسية (Hauptschulabschluss)، التأهيل المسبق للتدريب المهني"}'),
    ('dqr3', 3, '{"de": "DQR 3 – Mittlerer Schulabschluss, zweijährige Berufsausbildung",
        "en": "DQR/EQF 3 – Intermediate school certificate, two-year vocational training",
        "uk": "DQR/EQF 3 – середня шкільна освіта (Mittlerer Schulabschluss), дворічна професійна освіта",
        "ar": "DQR/EQF 3 – الشهادة المدرسية المتوسطة، تدريب مهني لمدة سنتين"}'),
    ('dqr4', 4, '{"de": "DQR 4 – Duale Berufsausbildung (3–3½ Jahre), Fachhochschulreife, Abitur",
        "en": "DQR/EQF 4 – Dual vocational training (3–3.5 years), higher education entrance qualification",
        "uk": "DQR/EQF 4 – дуальна професійна освіта (3–3,5 року), атестат для вступу до вишу (Abitur)",
        "ar": "DQR/EQF 4 – تدريب مهني مزدوج (3 إلى 3.5 سنوات)، شهادة الثانوية العامة (Abitur)"}'),
    ('dqr5', 5, '{"de": "DQR 5 – Berufsspezialist, Servicetechniker, IT-Spezialist (Fortbildung)",
        "en": "DQR/EQF 5 – Certified specialist, service technician, IT specialist (further training)",
        "uk": "DQR/EQF 5 – сертифікований фахівець, сервісний технік, ІТ-спеціаліст (підвищення кваліфікації)",
        "ar": "DQR/EQF 5 – أخصائي مهني معتمد، فني خدمة، أخصائي تقنية معلومات (تدريب مهني متقدم)"}'),
    ('dqr6', 6, '{"de": "DQR 6 – Bachelor, Meister, Fachwirt, staatlich geprüfter Techniker",
        "en": "DQR/EQF 6 – Bachelor''s degree, master craftsperson (Meister), Fachwirt, state-certified technician",
        "uk": "DQR/EQF 6 – бакалавр, майстер (Meister), Fachwirt, державно атестований технік",
        "ar": "DQR/EQF 6 – بكالوريوس، شهادة المعلم الحرفي (Meister)، Fachwirt، فني معتمد من الدولة"}'),
    ('dqr7', 7, '{"de": "DQR 7 – Master, Master Professional (z. B. Geprüfter Betriebswirt)",
        "en": "DQR/EQF 7 – Master''s degree, Master Professional",
        "uk": "DQR/EQF 7 – магістр, професійний магістр (Master Professional)",
        "ar": "DQR/EQF 7 – ماجستير، ماجستير مهني (Master Professional)"}'),
    ('dqr8', 8, '{"de": "DQR 8 – Promotion (Doktorgrad)",
        "en": "DQR/EQF 8 – Doctorate",
        "uk": "DQR/EQF 8 – доктор філософії (PhD)",
        "ar": "DQR/EQF 8 – الدكتوراه"}')
) AS t (code, position, labels);

-- What participants see must exist in every locale of the app (the locale
-- list of ch.app_user); refuse the migration if a label is missing.
DO $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(taxonomy || '/' || code, ', ' ORDER BY taxonomy, position)
        INTO missing
        FROM ch.taxonomy_term
        WHERE taxonomy IN ('activity_categories', 'languages', 'language_levels')
          AND NOT labels ?& ARRAY['de', 'en', 'uk', 'ru', 'ar', 'fa', 'tr'];
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'labels missing a participant locale: %', missing;
    END IF;
END
$$;

GRANT SELECT ON ch.taxonomy, ch.taxonomy_term TO ch_app;
GRANT EXECUTE ON FUNCTION ch.term_exists(text, text) TO ch_app;
GRANT EXECUTE ON FUNCTION ch.labels_ok(jsonb) TO ch_app;
