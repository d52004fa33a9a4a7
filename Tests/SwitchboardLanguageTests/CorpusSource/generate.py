import json
exec(open('Tests/SwitchboardLanguageTests/CorpusSource/corpus1.py').read())
exec(open('Tests/SwitchboardLanguageTests/CorpusSource/corpus2.py').read())
exec(open('Tests/SwitchboardLanguageTests/CorpusSource/corpus3.py').read())
exec(open('Tests/SwitchboardLanguageTests/CorpusSource/corpus4.py').read())
exec(open('Tests/SwitchboardLanguageTests/CorpusSource/corpus5.py').read())
exec(open('Tests/SwitchboardLanguageTests/CorpusSource/corpus6.py').read())
exec(open('Tests/SwitchboardLanguageTests/CorpusSource/corpus7.py').read())
exec(open('Tests/SwitchboardLanguageTests/CorpusSource/corpus8.py').read())
with open('Tests/SwitchboardLanguageTests/Fixtures/corpus.jsonl','w') as f:
    for case in cases:
        f.write(json.dumps(case, ensure_ascii=False)+"\n")
print(len(cases))
