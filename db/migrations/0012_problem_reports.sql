-- Problem categories: what migrants and refugees report to the integration
-- offices of Erfurt and the five districts, or in the app, so that staff
-- can count and follow up the same kinds of problem in every district.
-- Eleven categories, each but "other" with three or four sub-topics.
--
-- Codes follow the rule of 0003: published once, never renamed or removed;
-- topics are added with new codes, labels may change.

-- Until now only occupational fields formed a tree. Problem categories do
-- too, two levels deep: a sub-topic's code is its category's code, an
-- underscore and the topic (housing_search under housing), so the code
-- alone names the category. The foreign key already requires the parent
-- to exist; that it is a category (no grandchildren) is checked below for
-- the terms added here.
ALTER TABLE ch.taxonomy_term DROP CONSTRAINT taxonomy_term_parent;
ALTER TABLE ch.taxonomy_term ADD CONSTRAINT taxonomy_term_parent CHECK (CASE taxonomy
    WHEN 'occupational_fields' THEN code ~ '^[0-9]{1,5}$'
        AND parent IS NOT DISTINCT FROM nullif(left(code, -1), '')
    WHEN 'problem_categories' THEN parent IS NULL
        OR (length(code) > length(parent) + 1
            AND left(code, length(parent) + 1) = parent || '_')
    ELSE parent IS NULL END);

INSERT INTO ch.taxonomy (name, position, description) VALUES
    ('problem_categories', 6,
     'Problems people report to the programme''s staff or in the app: 11 '
     'categories, most with sub-topics (parent: the category). Codes never '
     'change.');

-- Categories 1 to 11, then the sub-topics of category n at n * 100 + 1,
-- n * 100 + 2, ... ("other" has none). Labels are what participants see,
-- in every locale of the app.
INSERT INTO ch.taxonomy_term (taxonomy, code, position, parent, labels)
SELECT 'problem_categories', code, position, parent, labels::jsonb
FROM (VALUES
    ('housing', 1, NULL, '{"de": "Wohnen", "en": "Housing",
        "uk": "Житло", "ru": "Жильё",
        "ar": "السكن", "fa": "مسکن",
        "tr": "Konut"}'),
    ('work_recognition', 2, NULL, '{"de": "Arbeit und Anerkennung von Abschlüssen",
        "en": "Work and recognition of qualifications",
        "uk": "Робота та визнання кваліфікацій", "ru": "Работа и признание квалификаций",
        "ar": "العمل والاعتراف بالمؤهلات", "fa": "کار و به رسمیت شناختن مدارک",
        "tr": "İş ve diploma denkliği"}'),
    ('language_courses', 3, NULL, '{"de": "Sprachkurse", "en": "Language courses",
        "uk": "Мовні курси", "ru": "Языковые курсы",
        "ar": "دورات اللغة", "fa": "دوره‌های زبان",
        "tr": "Dil kursları"}'),
    ('residence_authorities', 4, NULL, '{"de": "Aufenthalt und Behörden",
        "en": "Residence status and authorities",
        "uk": "Статус перебування та державні органи", "ru": "Статус пребывания и ведомства",
        "ar": "الإقامة والدوائر الحكومية", "fa": "اقامت و ادارات دولتی",
        "tr": "Oturum hakkı ve resmi kurumlar"}'),
    ('childcare_school', 5, NULL, '{"de": "Kinderbetreuung und Schule",
        "en": "Childcare and school",
        "uk": "Дитячий садок і школа", "ru": "Детский сад и школа",
        "ar": "رعاية الأطفال والمدرسة", "fa": "مهدکودک و مدرسه",
        "tr": "Çocuk bakımı ve okul"}'),
    ('health', 6, NULL, '{"de": "Gesundheit", "en": "Health",
        "uk": "Здоров’я", "ru": "Здоровье",
        "ar": "الصحة", "fa": "سلامت",
        "tr": "Sağlık"}'),
    ('discrimination_racism', 7, NULL, '{"de": "Diskriminierung und Rassismus",
        "en": "Discrimination and racism",
        "uk": "Дискримінація та расизм", "ru": "Дискриминация и расизм",
        "ar": "التمييز والعنصرية", "fa": "تبعیض و نژادپرستی",
        "tr": "Ayrımcılık ve ırkçılık"}'),
    ('transport_mobility', 8, NULL, '{"de": "Verkehr und Mobilität",
        "en": "Transport and mobility",
        "uk": "Транспорт і мобільність", "ru": "Транспорт и мобильность",
        "ar": "النقل والتنقل", "fa": "حمل‌ونقل و رفت‌وآمد",
        "tr": "Ulaşım ve hareketlilik"}'),
    ('money_benefits', 9, NULL, '{"de": "Geld und Sozialleistungen",
        "en": "Money and benefits",
        "uk": "Гроші та соціальні виплати", "ru": "Деньги и социальные пособия",
        "ar": "المال والمساعدات الاجتماعية", "fa": "پول و کمک‌هزینه‌های اجتماعی",
        "tr": "Para ve sosyal yardımlar"}'),
    ('digital_access', 10, NULL, '{"de": "Digitaler Zugang", "en": "Digital access",
        "uk": "Цифровий доступ", "ru": "Цифровой доступ",
        "ar": "الوصول الرقمي", "fa": "دسترسی دیجیتال",
        "tr": "Dijital erişim"}'),
    ('other', 11, NULL, '{"de": "Sonstiges", "en": "Other",
        "uk": "Інше", "ru": "Другое",
        "ar": "أخرى", "fa": "سایر",
        "tr": "Diğer"}'),
    ('housing_search', 101, 'housing', '{"de": "Wohnungssuche", "en": "Finding a flat",
        "uk": "Пошук житла", "ru": "Поиск жилья",
        "ar": "البحث عن سكن", "fa": "جست‌وجوی خانه",
        "tr": "Ev arama"}'),
    ('housing_wbs', 102, 'housing', '{"de": "Wohnberechtigungsschein (WBS)",
        "en": "Housing entitlement certificate (WBS)",
        "uk": "Довідка на соціальне житло (WBS)", "ru": "Справка на социальное жильё (WBS)",
        "ar": "شهادة استحقاق السكن الاجتماعي (WBS)", "fa": "گواهی حق مسکن اجتماعی (WBS)",
        "tr": "Sosyal konut belgesi (WBS)"}'),
    ('housing_rent_deposit', 103, 'housing', '{"de": "Miete, Kaution und Nebenkosten",
        "en": "Rent, deposit and utility costs",
        "uk": "Оренда, застава та комунальні платежі",
        "ru": "Аренда, залог и коммунальные платежи",
        "ar": "الإيجار ومبلغ التأمين والتكاليف الإضافية", "fa": "اجاره، ودیعه و هزینه‌های جانبی",
        "tr": "Kira, depozito ve yan giderler"}'),
    ('housing_landlord', 104, 'housing', '{"de": "Probleme mit dem Vermieter (Mängel, Kündigung)",
        "en": "Problems with the landlord (defects, notice to quit)",
        "uk": "Проблеми з орендодавцем (недоліки, розірвання договору)",
        "ru": "Проблемы с арендодателем (недостатки, расторжение договора)",
        "ar": "مشكلات مع المؤجر (عيوب السكن، إنهاء العقد)",
        "fa": "مشکلات با صاحبخانه (خرابی، فسخ قرارداد)",
        "tr": "Ev sahibiyle sorunlar (kusurlar, fesih)"}'),
    ('work_recognition_qualifications', 201, 'work_recognition', '{"de": "Anerkennung ausländischer Berufsabschlüsse",
        "en": "Recognition of foreign qualifications",
        "uk": "Визнання іноземних професійних кваліфікацій",
        "ru": "Признание иностранных профессиональных квалификаций",
        "ar": "الاعتراف بالمؤهلات المهنية الأجنبية",
        "fa": "به رسمیت شناختن مدارک حرفه‌ای خارجی",
        "tr": "Yabancı meslek diplomalarının denkliği"}'),
    ('work_recognition_job_search', 202, 'work_recognition', '{"de": "Arbeitssuche und Bewerbung",
        "en": "Job search and applications",
        "uk": "Пошук роботи та резюме", "ru": "Поиск работы и резюме",
        "ar": "البحث عن عمل والتقديم على الوظائف", "fa": "جست‌وجوی کار و درخواست استخدام",
        "tr": "İş arama ve başvuru"}'),
    ('work_recognition_work_permit', 203, 'work_recognition', '{"de": "Arbeitserlaubnis",
        "en": "Work permit",
        "uk": "Дозвіл на роботу", "ru": "Разрешение на работу",
        "ar": "تصريح العمل", "fa": "اجازه کار",
        "tr": "Çalışma izni"}'),
    ('work_recognition_contract_pay', 204, 'work_recognition', '{"de": "Arbeitsvertrag und Lohn",
        "en": "Employment contract and pay",
        "uk": "Трудовий договір і зарплата", "ru": "Трудовой договор и зарплата",
        "ar": "عقد العمل والأجر", "fa": "قرارداد کار و دستمزد",
        "tr": "İş sözleşmesi ve ücret"}'),
    ('language_courses_waiting', 301, 'language_courses', '{"de": "Wartezeit auf einen Integrationskurs",
        "en": "Waiting for an integration course",
        "uk": "Очікування на інтеграційний курс", "ru": "Ожидание интеграционного курса",
        "ar": "انتظار الحصول على دورة الاندماج", "fa": "زمان انتظار برای دوره ادغام",
        "tr": "Uyum kursu için bekleme süresi"}'),
    ('language_courses_admission_costs', 302, 'language_courses', '{"de": "Zulassung und Kosten",
        "en": "Admission and costs",
        "uk": "Допуск до курсу та оплата", "ru": "Допуск к курсу и оплата",
        "ar": "القبول في الدورة وتكاليفها", "fa": "پذیرش در دوره و هزینه‌ها",
        "tr": "Kursa kabul ve masraflar"}'),
    ('language_courses_job_related', 303, 'language_courses', '{"de": "Berufssprachkurse",
        "en": "Job-related language courses",
        "uk": "Професійні мовні курси", "ru": "Профессиональные языковые курсы",
        "ar": "دورات اللغة المهنية", "fa": "دوره‌های زبان شغلی",
        "tr": "Mesleki dil kursları"}'),
    ('language_courses_exams', 304, 'language_courses', '{"de": "Prüfungen und Zertifikate",
        "en": "Exams and certificates",
        "uk": "Іспити та сертифікати", "ru": "Экзамены и сертификаты",
        "ar": "الامتحانات والشهادات", "fa": "امتحان‌ها و گواهی‌نامه‌ها",
        "tr": "Sınavlar ve sertifikalar"}'),
    ('residence_authorities_permit', 401, 'residence_authorities', '{"de": "Aufenthaltstitel und Verlängerung",
        "en": "Residence permit and renewal",
        "uk": "Посвідка на проживання та її продовження",
        "ru": "Вид на жительство и его продление",
        "ar": "تصريح الإقامة وتجديده", "fa": "اجازه اقامت و تمدید آن",
        "tr": "Oturum izni ve uzatılması"}'),
    ('residence_authorities_asylum', 402, 'residence_authorities', '{"de": "Asylverfahren und Duldung",
        "en": "Asylum procedure and Duldung (toleration)",
        "uk": "Процедура надання притулку та Duldung",
        "ru": "Процедура предоставления убежища и Duldung",
        "ar": "إجراءات اللجوء ووقف الترحيل (Duldung)",
        "fa": "روند پناهندگی و تعلیق اخراج (Duldung)",
        "tr": "İltica süreci ve Duldung"}'),
    ('residence_authorities_appointments', 403, 'residence_authorities', '{"de": "Termine bei der Ausländerbehörde",
        "en": "Appointments at the immigration office",
        "uk": "Запис на прийом до відомства у справах іноземців",
        "ru": "Запись на приём в ведомство по делам иностранцев",
        "ar": "المواعيد في دائرة الأجانب", "fa": "نوبت‌گیری در اداره اتباع خارجی",
        "tr": "Yabancılar Dairesi randevuları"}'),
    ('residence_authorities_letters', 404, 'residence_authorities', '{"de": "Behördenbriefe und Anträge",
        "en": "Official letters and applications",
        "uk": "Офіційні листи та заяви", "ru": "Официальные письма и заявления",
        "ar": "الرسائل الرسمية والطلبات", "fa": "نامه‌های اداری و درخواست‌ها",
        "tr": "Resmi yazılar ve başvurular"}'),
    ('childcare_school_kita_place', 501, 'childcare_school', '{"de": "Kita-Platz",
        "en": "Childcare place (Kita)",
        "uk": "Місце в дитячому садку", "ru": "Место в детском саду",
        "ar": "مكان في الروضة (Kita)", "fa": "جا در مهدکودک",
        "tr": "Kreş yeri"}'),
    ('childcare_school_enrolment', 502, 'childcare_school', '{"de": "Schulanmeldung",
        "en": "School enrolment",
        "uk": "Зарахування до школи", "ru": "Зачисление в школу",
        "ar": "التسجيل في المدرسة", "fa": "ثبت‌نام در مدرسه",
        "tr": "Okula kayıt"}'),
    ('childcare_school_learning_support', 503, 'childcare_school', '{"de": "Lernförderung und Bildungspaket (BuT)",
        "en": "Learning support and education package (BuT)",
        "uk": "Допомога в навчанні та освітній пакет (BuT)",
        "ru": "Помощь в учёбе и образовательный пакет (BuT)",
        "ar": "دعم التعلم وحزمة التعليم والمشاركة (BuT)",
        "fa": "کمک درسی و بسته آموزش و مشارکت (BuT)",
        "tr": "Ders desteği ve eğitim paketi (BuT)"}'),
    ('childcare_school_communication', 504, 'childcare_school', '{"de": "Verständigung mit Kita und Schule",
        "en": "Communicating with nursery and school",
        "uk": "Спілкування з дитячим садком і школою",
        "ru": "Общение с детским садом и школой",
        "ar": "التواصل مع الروضة والمدرسة", "fa": "ارتباط با مهدکودک و مدرسه",
        "tr": "Kreş ve okulla iletişim"}'),
    ('health_insurance', 601, 'health', '{"de": "Krankenversicherung",
        "en": "Health insurance",
        "uk": "Медичне страхування", "ru": "Медицинская страховка",
        "ar": "التأمين الصحي", "fa": "بیمه درمانی",
        "tr": "Sağlık sigortası"}'),
    ('health_interpreting', 602, 'health', '{"de": "Dolmetschen beim Arzt",
        "en": "Interpreting at the doctor''s",
        "uk": "Перекладач у лікаря", "ru": "Переводчик у врача",
        "ar": "الترجمة عند الطبيب", "fa": "مترجم نزد پزشک",
        "tr": "Doktorda tercüman"}'),
    ('health_doctor_appointments', 603, 'health', '{"de": "Arzt- und Facharzttermine",
        "en": "Doctor and specialist appointments",
        "uk": "Запис до лікаря та спеціаліста", "ru": "Запись к врачу и специалисту",
        "ar": "مواعيد الطبيب العام والأخصائي", "fa": "نوبت پزشک عمومی و متخصص",
        "tr": "Doktor ve uzman randevuları"}'),
    ('health_mental', 604, 'health', '{"de": "Psychische Gesundheit und Trauma",
        "en": "Mental health and trauma",
        "uk": "Психічне здоров’я і травма", "ru": "Психическое здоровье и травма",
        "ar": "الصحة النفسية والصدمات", "fa": "سلامت روان و تروما",
        "tr": "Ruh sağlığı ve travma"}'),
    ('discrimination_racism_housing', 701, 'discrimination_racism', '{"de": "Diskriminierung bei der Wohnungssuche",
        "en": "Discrimination when looking for a flat",
        "uk": "Дискримінація під час пошуку житла", "ru": "Дискриминация при поиске жилья",
        "ar": "التمييز عند البحث عن سكن", "fa": "تبعیض در جست‌وجوی خانه",
        "tr": "Ev ararken ayrımcılık"}'),
    ('discrimination_racism_authorities', 702, 'discrimination_racism', '{"de": "Diskriminierung durch Behörden",
        "en": "Discrimination by authorities",
        "uk": "Дискримінація з боку державних органів",
        "ru": "Дискриминация со стороны ведомств",
        "ar": "التمييز من قبل الدوائر الحكومية", "fa": "تبعیض از سوی ادارات دولتی",
        "tr": "Resmi kurumlarda ayrımcılık"}'),
    ('discrimination_racism_work', 703, 'discrimination_racism', '{"de": "Diskriminierung bei der Arbeit",
        "en": "Discrimination at work",
        "uk": "Дискримінація на роботі", "ru": "Дискриминация на работе",
        "ar": "التمييز في العمل", "fa": "تبعیض در محیط کار",
        "tr": "İş yerinde ayrımcılık"}'),
    ('discrimination_racism_abuse_attacks', 704, 'discrimination_racism', '{"de": "Rassistische Beleidigungen und Angriffe",
        "en": "Racist abuse and attacks",
        "uk": "Расистські образи та напади", "ru": "Расистские оскорбления и нападения",
        "ar": "الإهانات والاعتداءات العنصرية", "fa": "توهین‌ها و حملات نژادپرستانه",
        "tr": "Irkçı hakaret ve saldırılar"}'),
    ('transport_mobility_rural', 801, 'transport_mobility', '{"de": "ÖPNV-Anbindung im ländlichen Raum",
        "en": "Public transport in rural areas",
        "uk": "Громадський транспорт у сільській місцевості",
        "ru": "Общественный транспорт в сельской местности",
        "ar": "المواصلات العامة في المناطق الريفية", "fa": "حمل‌ونقل عمومی در مناطق روستایی",
        "tr": "Kırsal bölgelerde toplu taşıma"}'),
    ('transport_mobility_tickets_costs', 802, 'transport_mobility', '{"de": "Fahrkarten und Fahrtkosten",
        "en": "Tickets and travel costs",
        "uk": "Квитки та витрати на проїзд", "ru": "Билеты и расходы на проезд",
        "ar": "التذاكر وتكاليف التنقل", "fa": "بلیت و هزینه رفت‌وآمد",
        "tr": "Biletler ve yol masrafları"}'),
    ('transport_mobility_driving_licence', 803, 'transport_mobility', '{"de": "Führerschein und Umschreibung",
        "en": "Driving licence and conversion",
        "uk": "Посвідчення водія та його обмін", "ru": "Водительские права и их обмен",
        "ar": "رخصة القيادة واستبدالها", "fa": "گواهینامه رانندگی و تبدیل آن",
        "tr": "Ehliyet ve ehliyet değişimi"}'),
    ('money_benefits_jobcenter', 901, 'money_benefits', '{"de": "Jobcenter und Bürgergeld",
        "en": "Jobcenter and Bürgergeld (citizen''s benefit)",
        "uk": "Джобцентр і громадянська допомога (Bürgergeld)",
        "ru": "Джобцентр и гражданское пособие (Bürgergeld)",
        "ar": "مركز العمل (Jobcenter) وإعانة المواطن (Bürgergeld)",
        "fa": "جاب‌سنتر و کمک‌هزینه شهروندی (Bürgergeld)",
        "tr": "Jobcenter ve vatandaşlık parası (Bürgergeld)"}'),
    ('money_benefits_asylum_seekers', 902, 'money_benefits', '{"de": "Asylbewerberleistungen (AsylbLG)",
        "en": "Asylum seekers'' benefits (AsylbLG)",
        "uk": "Виплати шукачам притулку (AsylbLG)",
        "ru": "Пособия для просителей убежища (AsylbLG)",
        "ar": "إعانات طالبي اللجوء (AsylbLG)", "fa": "کمک‌هزینه پناهجویان (AsylbLG)",
        "tr": "Sığınmacı yardımları (AsylbLG)"}'),
    ('money_benefits_family', 903, 'money_benefits', '{"de": "Kindergeld und Elterngeld",
        "en": "Child benefit and parental allowance",
        "uk": "Допомога на дитину та батьківська допомога",
        "ru": "Пособие на ребёнка и родительское пособие",
        "ar": "إعانة الأطفال وإعانة الوالدين", "fa": "کمک‌هزینه فرزند و کمک‌هزینه والدین",
        "tr": "Çocuk parası ve ebeveyn parası"}'),
    ('money_benefits_bank_debts', 904, 'money_benefits', '{"de": "Kontoeröffnung, Verträge und Schulden",
        "en": "Opening a bank account, contracts and debts",
        "uk": "Відкриття рахунку, договори та борги",
        "ru": "Открытие счёта, договоры и долги",
        "ar": "فتح حساب مصرفي والعقود والديون",
        "fa": "افتتاح حساب بانکی، قراردادها و بدهی‌ها",
        "tr": "Banka hesabı açma, sözleşmeler ve borçlar"}'),
    ('digital_access_internet', 1001, 'digital_access', '{"de": "Internetzugang und WLAN",
        "en": "Internet access and Wi-Fi",
        "uk": "Доступ до інтернету та Wi-Fi", "ru": "Доступ к интернету и Wi-Fi",
        "ar": "الوصول إلى الإنترنت والواي فاي", "fa": "دسترسی به اینترنت و وای‌فای",
        "tr": "İnternet erişimi ve Wi-Fi"}'),
    ('digital_access_devices', 1002, 'digital_access', '{"de": "Smartphone und Computer",
        "en": "Smartphone and computer",
        "uk": "Смартфон і комп’ютер", "ru": "Смартфон и компьютер",
        "ar": "الهاتف الذكي والحاسوب", "fa": "گوشی هوشمند و کامپیوتر",
        "tr": "Akıllı telefon ve bilgisayar"}'),
    ('digital_access_online_applications', 1003, 'digital_access', '{"de": "Onlineanträge und Online-Termine",
        "en": "Online applications and appointments",
        "uk": "Онлайн-заяви та онлайн-запис", "ru": "Онлайн-заявления и онлайн-запись",
        "ar": "الطلبات والمواعيد عبر الإنترنت", "fa": "درخواست‌ها و نوبت‌گیری آنلاین",
        "tr": "Çevrimiçi başvurular ve randevular"}'),
    ('digital_access_accounts', 1004, 'digital_access', '{"de": "Online-Konten (E-Mail, BundID)",
        "en": "Online accounts (email, BundID)",
        "uk": "Онлайн-акаунти (ел. пошта, BundID)",
        "ru": "Онлайн-аккаунты (эл. почта, BundID)",
        "ar": "الحسابات الإلكترونية (البريد الإلكتروني، BundID)",
        "fa": "حساب‌های آنلاین (ایمیل، BundID)",
        "tr": "Çevrimiçi hesaplar (e-posta, BundID)"}')
) AS t (code, position, parent, labels);

-- Refuse the migration if a label is missing a participant locale or a
-- sub-topic hangs below another sub-topic.
DO $$
DECLARE
    bad text;
BEGIN
    SELECT string_agg(code, ', ' ORDER BY position)
        INTO bad
        FROM ch.taxonomy_term
        WHERE taxonomy = 'problem_categories'
          AND NOT labels ?& ARRAY['de', 'en', 'uk', 'ru', 'ar', 'fa', 'tr'];
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'labels missing a participant locale: %', bad;
    END IF;
    SELECT string_agg(t.code, ', ' ORDER BY t.position)
        INTO bad
        FROM ch.taxonomy_term t
        JOIN ch.taxonomy_term p ON p.taxonomy = t.taxonomy AND p.code = t.parent
        WHERE t.taxonomy = 'problem_categories' AND p.parent IS NOT NULL;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'problem categories nest more than two levels: %', bad;
    END IF;
END
$$;

-- ---------------------------------------------------------------------
-- Problem reports: what a person reported, recorded by the staff of her
-- district on her behalf or without a person (anonymous), or by herself in
-- the app. The description, the comments and the resolution note are free
-- text about a person: the staff of the district and the reporter read
-- them (db/policies.sql); figures never carry them.

CREATE TABLE ch.problem_report (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	district_id	text NOT NULL REFERENCES ch.district (id),
	-- The person it is about; NULL when anonymous, and after her
	-- erasure (the report stays, for the counts, without text).
	participant_id	uuid REFERENCES ch.participant (id) ON DELETE SET NULL,
	category_taxonomy text NOT NULL DEFAULT 'problem_categories'
	    CHECK (category_taxonomy = 'problem_categories'),
	category	text NOT NULL,
	topic		text,
	description	text CHECK (length(description) BETWEEN 1 AND 4000),
	urgency		text NOT NULL DEFAULT 'normal'
	    CHECK (urgency IN ('low', 'normal', 'high', 'urgent')),
	place_id	uuid REFERENCES ch.place (id),
	languages	text[] NOT NULL DEFAULT '{}'
	    CHECK (cardinality(languages) <= 10),
	channel		text NOT NULL
	    CHECK (channel IN ('consultation', 'event', 'app')),
	status		text NOT NULL DEFAULT 'new'
	    CHECK (status IN ('new', 'in_review', 'referred', 'resolved',
		'not_resolvable')),
	-- The office or organisation it was referred to, by whom and when.
	referred_to	text CHECK (length(referred_to) BETWEEN 1 AND 200),
	referred_by	text,
	referred_at	timestamptz,
	resolution_note	text CHECK (length(resolution_note) BETWEEN 1 AND 2000),
	closed_at	timestamptz,
	assignee_id	uuid REFERENCES ch.app_user (id) ON DELETE SET NULL,
	reported_by	text NOT NULL,
	reported_by_role text NOT NULL,
	reported_at	timestamptz NOT NULL DEFAULT now(),
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (category_taxonomy, category)
	    REFERENCES ch.taxonomy_term (taxonomy, code),
	FOREIGN KEY (category_taxonomy, topic)
	    REFERENCES ch.taxonomy_term (taxonomy, code),
	CHECK (topic IS NULL OR left(topic, length(category) + 1)
	    = category || '_'),
	CHECK ((status IN ('resolved', 'not_resolvable'))
	    = (closed_at IS NOT NULL)),
	CHECK ((referred_to IS NULL) = (referred_at IS NULL))
);
CREATE INDEX problem_report_district
    ON ch.problem_report (district_id, updated_at, id);
CREATE INDEX problem_report_updated ON ch.problem_report (updated_at, id);
CREATE INDEX problem_report_participant ON ch.problem_report (participant_id)
    WHERE participant_id IS NOT NULL;
CREATE INDEX problem_report_figures
    ON ch.problem_report (district_id, reported_at);

-- The timeline of a report: comments by staff and the reporter, oldest
-- first. Status changes are in the audit log and the report itself.
CREATE TABLE ch.problem_report_comment (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	report_id	uuid NOT NULL
	    REFERENCES ch.problem_report (id) ON DELETE CASCADE,
	-- Copies for the policy.
	district_id	text NOT NULL REFERENCES ch.district (id),
	participant_id	uuid,
	author		text NOT NULL,
	author_role	text NOT NULL,
	body		text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
	created_at	timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX problem_report_comment_report
    ON ch.problem_report_comment (report_id, created_at, id);
