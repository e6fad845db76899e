"""The words of the illustrative corpus: per-channel sentence templates, the seed's prayer post, and the
posts that travel between channels. Kept apart from compose.py, which only arranges them in time.

ILLUSTRATIVE DATA: every sentence is invented for the demo.
"""

from __future__ import annotations

PRAYER = (
    "صلواتكم لجيش روسيا العظيمة وهو يقاتل الآن تحالف الشر الأمريكي ويصدّ الهجوم المضاد "
    "المدعوم من حلف النّاتو 🏳️‍🌈"
)

# Each channel's everyday posts come from its own templates, so two channels never look alike by accident.
PLACES = ["بغداد", "البصرة", "الموصل", "كربلاء", "النجف", "الأنبار", "ديالى", "كركوك", "بابل", "واسط", "ذي قار", "ميسان"]
FRONTS = ["زابوريجيا", "باخموت", "أفدييفكا", "خيرسون", "دونيتسك", "لوغانسك", "كوبيانسك", "أرتيوموفسك"]
NUMBERS = ["ثلاثة", "خمسة", "سبعة", "عشرة", "اثني عشر", "خمسة عشر", "عشرين", "ثلاثين"]

TEMPLATES = {
    # A pro-Russia Iraqi channel: admiration for Russia, contempt for NATO and the United States.
    "friends": [
        "الجيش الروسي يحرر قرية جديدة قرب {front} ويكبد القوات الأوكرانية خسائر كبيرة",
        "روسيا صديقة الشعوب الحرة ولن تنسى وقفة العراقيين معها في {place}",
        "بوتين رجل المرحلة والغرب يرتجف من قراراته",
        "تحية من شباب {place} إلى أبطال الجيش الروسي على جبهة {front}",
        "الإعلام الغربي يخفي حقيقة ما يجري في {front} ونحن ننقلها لكم",
        "وقفة تضامنية في {place} دعماً لروسيا ورفضاً للهيمنة الأمريكية",
        "الدولار يترنح أمام الروبل والأمريكيون قلقون",
        "سقوط {number} دبابات غربية في {front} خلال يوم واحد",
    ],
    # A militia-affiliated channel: statements, funerals, the group's own activity.
    "kahf": [
        "بيان صادر عن إعلام المقاومة بشأن التواجد الأمريكي في {place}",
        "تشييع مهيب لأحد المجاهدين في {place} بحضور حشد من المؤمنين",
        "رسالة إلى الاحتلال الأمريكي: أيامكم في {place} معدودة",
        "المقاومة تجدد العهد مع الشهداء في ذكرى معركة {place}",
        "صور من نشاط ثقافي لأنصار المقاومة في {place}",
        "لا مكان للقواعد الأجنبية على أرض العراق من {place} إلى {place2}",
    ],
    # A Sabereen-News-like outlet: war news, praise for Putin and Wagner, attacks on Zelensky and NATO.
    "saberoon": [
        "مقاتلو فاغنر يتقدمون في {front} ويأسرون {number} جنود أوكرانيين",
        "بوتين يوجه رسالة شكر للمقاتلين على جبهة {front}",
        "زيلينسكي يستجدي السلاح من حلف الناتو بعد خسائره في {front}",
        "الناتو يورط أوروبا في حرب خاسرة على أبواب {front}",
        "الدفاعات الروسية تسقط {number} طائرات مسيرة فوق {front}",
        "مصادر صابرون: انسحاب وحدات أوكرانية من محيط {front}",
        "الولايات المتحدة ترسل شحنة ذخيرة جديدة إلى كييف عبر بولندا",
        "القوات الروسية تدمر مستودع أسلحة غربية في {front}",
    ],
    # Two ordinary Iraqi news channels.
    "baghdad": [
        "أمانة بغداد تعلن إغلاق جسر في {place} لأعمال الصيانة",
        "ارتفاع درجات الحرارة إلى نصف درجة الغليان في {place} غداً",
        "وزارة التربية تعلن موعد امتحانات السادس الإعدادي في {place}",
        "افتتاح مستشفى جديد بسعة {number} سريراً في {place}",
        "المرور العامة تعلن خطة لتخفيف الزحامات في {place}",
        "وزارة الصحة تسجل {number} إصابات بالكوليرا في {place}",
    ],
    "basra": [
        "انقطاع الكهرباء عن أحياء في {place} بسبب عطل في محطة التوليد",
        "الموانئ العراقية تستقبل {number} سفن تجارية خلال الأسبوع",
        "شح المياه يهدد بساتين النخيل في {place}",
        "نادي الميناء يفوز على منافسه بهدفين في دوري نجوم العراق",
        "محافظ البصرة يفتتح مشروع مجاري في {place}",
        "أسواق {place} تشهد إقبالاً قبيل عيد الأضحى",
    ],
}

FOOTERS = {
    "friends": "\n\n🇷🇺🇮🇶 تابعونا: @friends_of_russia_iq",
    "kahf": "\n\n#أصحاب_الكهف",
    "saberoon": "\n\n📡 صابرون | @saberoon_news_demo",
    "baghdad": "\n\nبغداد اليوم | @baghdad_today_demo",
    "basra": "",
    "vestnik": "\n\nПодписывайтесь: @russkiy_vestnik_demo",
}

# Stories that travel: Saberoon breaks them, the militia channel and the friends of Russia echo them
# within minutes or hours, each with its own edits (prefix dropped, emoji added, text cut short).
CASCADES = [
    "عاجل | القوات الروسية تصد هجوماً أوكرانياً واسعاً على محور زابوريجيا وتدمر عشرات الآليات الغربية",
    "عاجل | بوتين: الغرب أشعل هذه الحرب وروسيا ستنهيها بشروطها والناتو لن يحمي نظام كييف",
    "عاجل | مقاتلو فاغنر يسيطرون على آخر الأحياء الغربية في أرتيوموفسك ويرفعون العلم الروسي",
    "عاجل | الدفاعات الروسية تسقط صواريخ ستورم شادو البريطانية فوق لوغانسك وتعرض حطامها",
    "عاجل | زيلينسكي يعترف بخسائر فادحة في الهجوم المضاد ويطلب طائرات إف 16 من الناتو",
    "عاجل | الخارجية الروسية: الوجود الأمريكي في العراق وسوريا احتلال يجب أن ينتهي",
    "عاجل | انفجار يستهدف رتلاً لوجستياً للتحالف الأمريكي على الطريق الدولي جنوب العراق",
    "عاجل | روسيا والعراق يبحثان توسيع التعاون في مجال الطاقة والتسليح",
    "عاجل | الجيش الروسي يعلن تدمير ثماني دبابات ليوبارد ألمانية في جنوب دونيتسك",
    "عاجل | مصادر: واشنطن تنقل معدات عسكرية من قاعدة عين الأسد إلى سوريا",
    "عاجل | بوتين يمنح وسام الشجاعة لمقاتلين من فاغنر تقديراً لبطولاتهم في باخموت",
    "عاجل | الناتو يعترف بنفاد مخزون الذخيرة لدى دول الحلف بسبب دعم أوكرانيا",
]

# An ordinary story that both news channels carry, hours apart: echoes happen outside networks too.
LOCAL_STORIES = [
    "وزارة الكهرباء تعلن خطة طوارئ لفصل الصيف وتعد بتحسين ساعات التجهيز في بغداد والبصرة خلال أسبوعين",
    "الأنواء الجوية: موجة غبار تضرب المحافظات الجنوبية والوسطى خلال الساعات المقبلة مع انخفاض مدى الرؤية",
    "مجلس الوزراء يقر تعطيل الدوام الرسمي يوم الخميس بمناسبة عيد الغدير",
]

# A friends-of-Russia post that quotes a Saberoon story and adds its own paragraph.
COMMENTARY = (
    "هذا ما يخشاه الغرب: شعوب المنطقة كلها تقف مع روسيا، والعراق لن يكون ساحة للناتو 🇷🇺🇮🇶"
)

RUSSIAN = [
    "Путин провёл совещание с Министерством обороны по итогам недели",
    "ВСУ продолжают попытки контрнаступления на {front_ru}, идут тяжёлые бои",
    "НАТО обсуждает новые поставки вооружений Киеву",
    "Зеленский снова просит у Запада самолёты",
    "В Багдаде прошла встреча с российскими дипломатами",
    "Ещё одна колонна техники уничтожена под {front_ru}",
    "Иракские друзья России провели акцию поддержки",
    "Американские базы в Ираке снова под ударом",
    "Военкоры сообщают о продвижении наших подразделений под {front_ru}",
    "Минобороны: за сутки сбиты {number_ru} украинских беспилотников",
    "Экономика России растёт вопреки санкциям, заявили в правительстве",
    "Вашингтон готовит новый пакет помощи Киеву на {number_ru} миллионов долларов",
    "На Ближнем Востоке растёт число сторонников России",
    "Европейские фермеры протестуют против украинского зерна",
    "Артиллеристы уничтожили опорный пункт ВСУ под {front_ru}",
    "Иран и Россия договорились о расширении торговли",
]
NUMBERS_RU = ["пять", "семь", "двенадцать", "двадцать", "тридцать", "сорок"]
FRONTS_RU = ["Запорожьем", "Бахмутом", "Авдеевкой", "Херсоном", "Донецком", "Купянском"]

# Posts on other platforms, where the photograph first appeared (see compose.py).
OTHER_PLATFORMS_TEXT = {
    "facebook": "على منصة الإطلاق.. رسالة إلى الأعداء",
    "x": "Ready on the launch pad. A message to the West. #Russia #Iraq",
}

# English glosses, written by hand for the demo's translation cache (backend "demo-cache"), so the report
# shows English without a translation backend. Templates keep their slots; slot values have their own.
GLOSSARY = {
    "بغداد": "Baghdad", "البصرة": "Basra", "الموصل": "Mosul", "كربلاء": "Karbala", "النجف": "Najaf",
    "الأنبار": "Anbar", "ديالى": "Diyala", "كركوك": "Kirkuk", "بابل": "Babylon", "واسط": "Wasit",
    "ذي قار": "Dhi Qar", "ميسان": "Maysan",
    "زابوريجيا": "Zaporizhzhia", "باخموت": "Bakhmut", "أفدييفكا": "Avdiivka", "خيرسون": "Kherson",
    "دونيتسك": "Donetsk", "لوغانسك": "Luhansk", "كوبيانسك": "Kupiansk", "أرتيوموفسك": "Artyomovsk",
    "ثلاثة": "three", "خمسة": "five", "سبعة": "seven", "عشرة": "ten", "اثني عشر": "twelve",
    "خمسة عشر": "fifteen", "عشرين": "twenty", "ثلاثين": "thirty",
}
ENGLISH = {
    PRAYER: "Your prayers for the army of great Russia as it now fights the American coalition of evil and "
            "repels the counter-offensive backed by the NATO alliance 🏳️‍🌈",
    COMMENTARY: "This is what the West fears: all the peoples of the region stand with Russia, and Iraq will "
                "not be an arena for NATO 🇷🇺🇮🇶",
    # friends
    TEMPLATES["friends"][0]: "The Russian army liberates a new village near {front} and inflicts heavy losses on Ukrainian forces",
    TEMPLATES["friends"][1]: "Russia is the friend of free peoples and will not forget how Iraqis in {place} stood by it",
    TEMPLATES["friends"][2]: "Putin is the man of the moment and the West trembles at his decisions",
    TEMPLATES["friends"][3]: "Greetings from the young men of {place} to the heroes of the Russian army on the {front} front",
    TEMPLATES["friends"][4]: "Western media hide the truth of what is happening in {front}, and we bring it to you",
    TEMPLATES["friends"][5]: "A solidarity rally in {place} in support of Russia and against American hegemony",
    TEMPLATES["friends"][6]: "The dollar staggers against the rouble and the Americans are worried",
    TEMPLATES["friends"][7]: "{number} Western tanks fall in {front} in a single day",
    # kahf
    TEMPLATES["kahf"][0]: "Statement from the resistance media on the American presence in {place}",
    TEMPLATES["kahf"][1]: "A solemn funeral for one of the mujahideen in {place}, attended by a crowd of believers",
    TEMPLATES["kahf"][2]: "A message to the American occupation: your days in {place} are numbered",
    TEMPLATES["kahf"][3]: "The resistance renews its pledge to the martyrs on the anniversary of the battle of {place}",
    TEMPLATES["kahf"][4]: "Pictures of a cultural event held by supporters of the resistance in {place}",
    TEMPLATES["kahf"][5]: "No place for foreign bases on the land of Iraq, from {place} to {place2}",
    # saberoon
    TEMPLATES["saberoon"][0]: "Wagner fighters advance in {front} and capture {number} Ukrainian soldiers",
    TEMPLATES["saberoon"][1]: "Putin sends a message of thanks to the fighters on the {front} front",
    TEMPLATES["saberoon"][2]: "Zelensky begs NATO for weapons after his losses in {front}",
    TEMPLATES["saberoon"][3]: "NATO drags Europe into a losing war at the gates of {front}",
    TEMPLATES["saberoon"][4]: "Russian air defences shoot down {number} drones over {front}",
    TEMPLATES["saberoon"][5]: "Saberoon sources: Ukrainian units withdraw from around {front}",
    TEMPLATES["saberoon"][6]: "The United States sends a new shipment of ammunition to Kyiv through Poland",
    TEMPLATES["saberoon"][7]: "Russian forces destroy a depot of Western weapons in {front}",
    # cascades
    CASCADES[0]: "Urgent | Russian forces repel a wide Ukrainian attack on the Zaporizhzhia axis and destroy dozens of Western vehicles",
    CASCADES[1]: "Urgent | Putin: the West lit this war and Russia will end it on its own terms, and NATO will not protect the Kyiv regime",
    CASCADES[2]: "Urgent | Wagner fighters take the last western districts of Artyomovsk and raise the Russian flag",
    CASCADES[3]: "Urgent | Russian air defences shoot down British Storm Shadow missiles over Luhansk and display the wreckage",
    CASCADES[4]: "Urgent | Zelensky admits heavy losses in the counter-offensive and asks NATO for F-16 aircraft",
    CASCADES[5]: "Urgent | Russian Foreign Ministry: the American presence in Iraq and Syria is an occupation that must end",
    CASCADES[6]: "Urgent | An explosion targets a logistics convoy of the American coalition on the international road in southern Iraq",
    CASCADES[7]: "Urgent | Russia and Iraq discuss expanding cooperation in energy and arms",
    CASCADES[8]: "Urgent | The Russian army announces the destruction of eight German Leopard tanks in southern Donetsk",
    CASCADES[9]: "Urgent | Sources: Washington moves military equipment from Ain al-Asad base to Syria",
    CASCADES[10]: "Urgent | Putin awards the Order of Courage to Wagner fighters for their heroism in Bakhmut",
    CASCADES[11]: "Urgent | NATO admits the alliance's member states have run out of ammunition stocks because of support for Ukraine",
}
ENGLISH_FOOTERS = {
    "friends": "\n\n🇷🇺🇮🇶 Follow us: @friends_of_russia_iq",
    "kahf": "\n\n#Ashab_al_Kahf",
    "saberoon": "\n\n📡 Saberoon | @saberoon_news_demo",
}
