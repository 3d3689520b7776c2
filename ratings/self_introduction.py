"""Names a work sample gives itself that no list knows: found by how the sentence is built.

A name list is always one model behind, so a sentence in which the text introduces itself or
its maker has the name removed whatever it is: "I am X", "I'm X, ...", "As X, a ... model",
"X here", "This is X", "I was developed / created / trained / built / made by X", "I, X,
will ...", "(you can) call me X", "Greetings / Hello from X", a sign-off that ends the text
("Best regards,\nX", "Cheers, X", "— X", "(signed) X"), "Created / Built by X, I ...", "I'm X
from Y", "I am an AI model from Y", "我是X", "作为X", "我叫X", "本人X", "叫我X",
"由X开发/训练/打造/推出的", "我是来自Y的助手", "X为您服务", "此致\n敬礼\nX", "——X", a name with a model size
anywhere ("Vorbler-7B"), "I am the X assistant", "You're talking to X", "本助手（X）".
Pure Python, no Django: `ratings.redaction` calls it on the original text and reports these
spans as kind "pattern".

What makes X a name rather than an ordinary word, and the decisions behind it:

- In English, X is capitalised mid-sentence ("I am Zorblax", not "I am confident") or shaped
  like a model id ("zq-omega-7b"), is not one of the capitalised words that follow "I am" in
  ordinary prose (nationalities, faiths, signs of the zodiac, "OK", titles: ORDINARY_CAPITALS),
  and the clause ends after it or a model noun or maker follows. So a persona's first name in
  a role play ("I'm Alex, your coordinator") is removed too: the review gate shows it to the
  study admin, who can restore it, while a missed model name would break the blind.
- "developed by X" counts only when the text speaks of itself ("I was trained by X", "an AI
  assistant developed by X"): "The theory was developed by John Holland" is left alone, and
  "made by hand" or "developed by our team" never name anyone (X must be capitalised).
- "X here" counts at the start of a text, sentence or greeting only, followed by a comma, dash
  or exclamation ("Zorblax here, ..."), and not for imperatives ("Click here, then ...", and
  the instructions of work samples: "Drill here, 5 cm from the edge", "Cut here, then fold":
  ORDINARY_BEFORE_HERE). "Hey there, Zorblax here, ..." counts too. Followed by a full stop
  or the end of the text, it counts only where the text starts or after a greeting that does
  ("Hi! Zorblax here."): "We met Zorblax here." and "Paris here." mid-text stay. "X at your
  service" goes by the same rules ("Zorblax at your service!", but "Always at your service.").
- "This is X" counts where the text starts or after a greeting that does ("Hi, this is X!"),
  when the speaker goes on ("This is X. I ...", "This is X, your ...", "This is X, an AI
  model", "This is X speaking") or nothing follows: "This is Plan B, the cheaper option",
  "This is Step 1. I ..." (structure words: ORDINARY_AFTER_THIS_IS_FOLDED) and a "This is X"
  later in the text stay.
- "As X, I ..." (no model noun after X) counts when X is shaped like a model id ("As zq-7b, I")
  or is not a role: no word of X is a job word (ROLE_WORDS: "Chair", "Head", "Chef" ...), ends
  like a job title ("-er", "-or", "-ist", "-ian", "-ant", "-ent", "-ee", "-ary", "-man" ...), is
  a short acronym ("PM", "EMT") or one of ORDINARY_CAPITALS. So "As Director, I", "As Head
  Chef, I" and "As Acting CEO, I" stay, "As Zorblax, I" loses its name. Given names that end
  like a job title ("Jasper", "Oliver", "Victor", "Julian": NAMES_ENDING_LIKE_ROLES) are names,
  so "As Jasper, I" loses it. A word that ends like a job title is a role only if it is an
  English word, one that `wordfreq`'s English list holds ("Director", "Lexicographer",
  "Taxonomist"): an invented name is not ("As Vorbler, I", "As Brimlor, I" lose it), and
  neither is a word of a few rare trades wordfreq does not know ("As Dosimetrist, I" goes to
  review). A surname that is also a trade stays a role ("As Chandler, I"), unless it is a
  listed given name ("As Cooper, I"). An X of several words is a role when one of them is
  ("As Head Chef, I", "As Prime Minister, I"), unless another is a capitalised word that is no
  English word ("As Vorbler Prime, I", "As Senior Vorbler, I" lose it).
  A word that holds a letter job words with those endings seldom hold ("z", "x", "q", "j") is a
  name even when wordfreq knows it ("As Dexter, I", "As Xavier, I"), unless it is one of the
  job words that do ("Janitor", "Boxer", "Zoologist": JOB_WORDS_WITH_RARE_LETTERS).
- "X (an AI assistant)" and "X, a large language model, ..." count when the noun of the
  appositive is a program's ("AI", "LLM", "chatbot", "bot", "language model"): "Jones, a
  dental assistant," and "Excel (a spreadsheet program)" stay, and so does a tool that is not
  an assistant, model, system or bot ("Grammarly (an AI writing tool)"). In Chinese, a
  Latin-script X with "（一个AI助手）" or "，一个AI助手，" counts the same way.
- "I, X, will ..." counts for a capitalised X between commas right after an "I" that no word
  precedes, followed by a lower-case word other than "and"/"or": "I, too, agree" is lower case,
  "World War I, Germany, ..." has a word before "I", "H, I, J, and K" and "I, II, III" are
  letters and numerals.
- "call me X" needs a capitalised X that ends the clause ("Call me tomorrow", "Call me ASAP",
  "Call me Monday" stay). "Call me Ishmael." loses its name: the cost of the stance.
- "Greetings / Hello / Hi from X" counts at the start of a text, line or sentence only, with X
  capitalised and ending the clause: "We received greetings from the mayor" stays, but a
  postcard's "Greetings from Paris!" loses "Paris" (a place and a model read alike there).
- A sign-off counts only when it ends the text (at most one short line, a title or a date,
  after the name): a letter quoted in the middle of a text keeps its signature, and a closing
  with no name ("Best regards", "[Your Name]", "The Team", "Your Name") changes nothing. A work
  sample that ends with a letter signed by a persona ("Sincerely,\nJane Doe") loses the name
  and goes to review, like the persona in "I'm Alex, your coordinator". So does a last line
  signed after a dash or a mark ("— X", "-- X", "(signed) X", "Signed: X", "/s/ X", "——X",
  "（签名）X", "签名：X"), unless the dash closes a quotation (the line before ends with a
  quotation mark: "“...”\n— Confucius") or is an item of a list whose items start with the
  same dash ("— Plywood\n— Glue"), or the word after it is a role or an ordinary closing word
  ("Signed: Store Manager", "— End", "— Anonymous": ORDINARY_AFTER_MARK_FOLDED).
- "Created / Developed / Built ... by X," counts at the start of a sentence that goes on with
  "I" or "my" only: "Created by hand, the piece ..." and "Built by the Romans, the wall ..."
  stay.
- "from Y" names a maker after "I'm X" or "I'm X, a ... model" (the name is removed already,
  so the unit is in review anyway), and after "I am / As a(n) <noun>" when the noun is only a
  program's ("AI", "chatbot", "language model") or Y is shaped like a maker's (a digit, an
  inner capital, "AI" or "Labs" at the end): "an assistant from HuggingFaceH4" and "an AI model
  from Acme AI" go, "a travel agent from Denver" and "a dental assistant from Texas" stay, as
  does any "from" without a self-introduction ("a letter from Acme Corp arrived").
- In Chinese, X after "我是/作为" must be Latin-script ("我是Zorblax") or be followed by a
  model noun ("我是灵犀大模型") or by an appositive that ends in one ("我是灵犀，一个AI助手。");
  "我是一名厨师" and "作为项目经理，我会" have neither. Role words ("写作助手", "客服") are not names.
  "叫我X" counts for a Latin-script X only ("妈妈叫我回家" is an errand). "来自Y的<noun>" counts
  for a Latin-script Y after 我是/作为 or when the noun ends the phrase ("来自MIT的助理教授"
  stays), and for a Chinese Y only after 我是/作为 with a program's noun ("我是来自灵犀科技的AI
  助手"; "我是来自北京的助理" is a person). A signature after "此致 敬礼" or "祝好" that ends the text
  is removed like an English sign-off.
- "我的名字是X", "我名叫X" and "我叫做X" count for a Chinese-script X that ends the clause, like
  "My name is X". A plain "我叫X" counts after a greeting ("你好，我叫灵犀。"), before an offer to
  help ("我叫灵犀，很高兴为您服务"), and where a text, sentence or clause starts with it and X,
  of two to four characters, ends the sentence or is followed by a comma ("我叫灵犀。", "我叫灵犀，
  下面是方案。"). It also calls or orders someone ("我叫他过来。", "我叫了外卖。", "我叫出租车。":
  _CALLED_NOT_A_NAME_ZH and the characters after it) or introduces a person in a story with an
  age ("我叫小明，今年十岁。"): those stay. "我是X，很高兴为您服务" counts too
  unless X ends like a job title ("我是店长，...": _ROLE_ENDINGS_ZH). "本人X，", "我，X，" and
  "X在此为您解答" count for a Latin-script X only ("本人MBA，" is a degree: ORDINARY_CAPITALS).
- A capitalised word with a model size ("-7B", "-70B", "-1.5B", "-8x7B", "-350M", with more
  parts after it: "Vorbler-1.5B-Instruct") is a model name wherever it stands. Before the size
  there must be at least two letters, starting with a capital, and no label of a code
  (ORDINARY_BEFORE_SIZE_FOLDED): "Form W-2B", "B-52B", "Room-12B", "Gate-3B" and "Question-4B"
  stay, and so do "Section 4-2B" and "Grade 3-5B" (the code starts with a digit). A lower-case
  "m" is also metres: "Cable-10m" stays, "Vorbler-350m" (no English word before it) does not.
- "I am / I'm the (an, a, your) X assistant (model, AI, chatbot, bot, language model, LLM)"
  counts when a word of X is no English word (`wordfreq`) or is shaped like a model id: "I am
  the Vorbler assistant" loses it, "I am the Research assistant", "I'm your Virtual
  assistant", "I am the AI assistant" and "I'm a Language model researcher" stay.
- "You're / You are talking (speaking, chatting) to (with) X" counts for a capitalised X that
  ends the clause ("You're talking to Vorbler.", and also "You are talking to John." and
  "... speaking with Nova, so ...": the text is a program's, so whoever it says you are talking
  to is its speaker), or for an X with a word no English list knows ("You are chatting with
  Vorbler about budgets"). An English word that goes on ("You're talking to Customers
  directly"), a department, role or relative ("Support", "Customer Service", "Mom":
  ORDINARY_AFTER_TALKING_FOLDED) and a possessive ("Dr. Smith's office") stay.
- "本助手/本模型/本AI/本系统/本机器人/本智能体（X）", with full-width or ASCII brackets, counts for X of
  two to eight Chinese or Latin characters (or a Latin name): "本助手（沃布勒）建议..." loses it.
  What such a bracket holds that is not a name stays: a definition or reference ("以下简称",
  "见图1"), an edition, version or kind ("第二版", "2024年版", "V2.0", "小型"), a stage
  ("试行", "Beta": _ORDINARY_IN_BRACKETS_ZH), a translation ("本AI（人工智能）").
- `identity_hints` finds self-introductions with no name at all ("As an AI language model",
  "我是一个人工智能助手"): nothing to remove, but the unit goes to the review list.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator

# Capitalised words that follow "I am"/"I'm" in ordinary prose.
ORDINARY_CAPITALS = frozenset(
    [
        "I",
        "A",
        "An",
        "The",
        "Not",
        "OK",
        "Okay",
        "Ok",
        "Sure",
        "Fine",
        "Ready",
        "Here",
        "There",
        "Back",
        "Done",
        "Sorry",
        "No",
        "Yes",
        "So",
        "Very",
        "Also",
        "Just",
        "Still",
        "Now",
        "Always",
        "Never",
        "Really",
        "Quite",
        "Happy",
        "Glad",
        "Proud",
        "Mr",
        "Mrs",
        "Ms",
        "Miss",
        "Dr",
        "Prof",
        "Professor",
        "Sir",
        "Madam",
        "Mister",
        "Doctor",
        "Captain",
        "Chef",
        "Coach",
        "Officer",
        "Nurse",
        "Your",
        "Yours",
        "Their",
        "His",
        "Her",
        "Our",
        "My",
        "American",
        "British",
        "English",
        "Scottish",
        "Welsh",
        "Irish",
        "French",
        "German",
        "Dutch",
        "Spanish",
        "Portuguese",
        "Italian",
        "Greek",
        "Swiss",
        "Swedish",
        "Norwegian",
        "Danish",
        "Finnish",
        "Polish",
        "Russian",
        "Ukrainian",
        "Czech",
        "Hungarian",
        "Turkish",
        "Chinese",
        "Japanese",
        "Korean",
        "Vietnamese",
        "Thai",
        "Indian",
        "Pakistani",
        "Filipino",
        "Indonesian",
        "Malaysian",
        "Australian",
        "Canadian",
        "Mexican",
        "Brazilian",
        "Argentinian",
        "Chilean",
        "Colombian",
        "Peruvian",
        "Cuban",
        "African",
        "Nigerian",
        "Kenyan",
        "Egyptian",
        "Moroccan",
        "Israeli",
        "Iranian",
        "Arab",
        "Arabic",
        "European",
        "Asian",
        "Latino",
        "Latina",
        "Hispanic",
        "Caucasian",
        "Black",
        "White",
        "Christian",
        "Catholic",
        "Protestant",
        "Muslim",
        "Jewish",
        "Buddhist",
        "Hindu",
        "Sikh",
        "Mormon",
        "Orthodox",
        "Aries",
        "Taurus",
        "Gemini",
        "Cancer",
        "Leo",
        "Virgo",
        "Libra",
        "Scorpio",
        "Sagittarius",
        "Capricorn",
        "Aquarius",
        "Pisces",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "CEO",
        "CTO",
        "CFO",
        "COO",
        "HR",
        "IT",
        "PhD",
        "MBA",
        "MD",
        "RN",
        "UX",
        "QA",
        "ADHD",
        "LGBTQ",
        "Democrat",
        "Republican",
        "Conservative",
        "Liberal",
        "Vegan",
        "Vegetarian",
    ]
)
# Words that begin an ordinary sentence "X here, ...".
ORDINARY_BEFORE_HERE = frozenset(
    [
        "Click",
        "Tap",
        "Sign",
        "Start",
        "Look",
        "Come",
        "Go",
        "Stop",
        "Wait",
        "Stay",
        "Sit",
        "Stand",
        "Put",
        "Place",
        "Insert",
        "Enter",
        "Type",
        "Press",
        "Read",
        "Write",
        "Begin",
        "Continue",
        "Listen",
        "Over",
        "Right",
        "Left",
        "Up",
        "Down",
        "Out",
        "In",
        "Not",
        "Only",
        "Just",
        "Same",
        "More",
        "Nobody",
        "Everyone",
        "Everybody",
        "Someone",
        "Somebody",
        "Anyone",
        "Anybody",
        "Nothing",
        "Everything",
        "Something",
        "It",
        "This",
        "That",
        "These",
        "Those",
        "Things",
        "Life",
        "Work",
        "Winter",
        "Summer",
        "Spring",
        "Autumn",
        "Fall",
        "Today",
        "Tomorrow",
        "Yesterday",
        "Now",
        "Then",
        "Details",
        "Info",
        "Information",
        "Help",
        "Support",
        "Text",
        "Hi",
        "Hello",
        "Hey",
        "Dear",
        "Thanks",
        "Thank",
        "Welcome",
        "Note",
        "Notes",
        "Answer",
        "Question",
        "Results",
        "Result",
        "Summary",
        "Step",
        "Steps",
        "Example",
        "Examples",
        "Us",
        "We",
        "You",
        "They",
        "He",
        "She",
        "I",
        "Me",
        "Him",
        "Her",
        "Them",
        "Everything",
        "All",
        "Ok",
        "Okay",
        "Sure",
        "Yes",
        "No",
        "Please",
        "Always",
        "Staff",
        # Instructions in work samples: "Drill here, 5 cm from the edge.", "Cut here."
        "Cut",
        "Drill",
        "Mark",
        "Measure",
        "Fold",
        "Bend",
        "Glue",
        "Nail",
        "Screw",
        "Sand",
        "Paint",
        "Pour",
        "Apply",
        "Attach",
        "Connect",
        "Plug",
        "Solder",
        "Weld",
        "Tie",
        "Clip",
        "Staple",
        "Tape",
        "Pin",
        "Sew",
        "Stitch",
        "Trim",
        "Score",
        "Punch",
        "Clamp",
        "Saw",
        "Scribe",
        "Level",
        "Park",
        "Turn",
        "Meet",
        "Gather",
        "Exit",
        "Stamp",
        "Sort",
        "Initial",
        "Date",
        "Print",
        "Scan",
        "Swipe",
        "Scroll",
        "Drop",
        "Pick",
        "Load",
        "Unload",
        "Stack",
        "Store",
        "Pause",
        "Rest",
        "Breathe",
        "Hold",
        "Push",
        "Pull",
        "Lift",
        "Lower",
        "Raise",
        "Remove",
        "Add",
        "Mix",
        "Stir",
        "Check",
        "Test",
        "Inspect",
        "Pay",
        "Eat",
        "Sleep",
        "Live",
        "Dig",
        "Plant",
        "Water",
        "Spray",
        "Wipe",
        "Clean",
        "Lock",
        "Unlock",
        "Open",
        "Close",
        "Knock",
        "Ring",
        "Lean",
        "Kneel",
        "Lie",
        "Jump",
        "Move",
        "Lay",
        "Set",
        "Fit",
        "Fix",
        "Join",
        "Align",
        "Mount",
        "Hang",
        "Seal",
        "Fill",
        "Spread",
        "Rinse",
        "Wash",
        "Dry",
        "Heat",
        "Cool",
        "Sow",
        "Feed",
        "Deliver",
        "File",
        "Record",
        "Count",
        "Weigh",
        "Label",
        "Pack",
        "Ship",
        "Tick",
        "Circle",
        "Underline",
        "Highlight",
        "Copy",
        "Paste",
        "Save",
        "Select",
        "Zoom",
        "Stretch",
        "Kick",
        "Throw",
        "Catch",
        "Serve",
        "Aim",
        "Roll",
        "Knead",
        "Slice",
        "Chop",
        "Season",
        "Taste",
        "Grind",
        "Polish",
        "Tighten",
        "Loosen",
        "Cap",
        "Bolt",
        "Brace",
        "Trace",
        "Draw",
        "Sketch",
        "Shade",
        "Erase",
        "Crop",
        "Split",
        "Squeeze",
        "Tuck",
        "Wrap",
        "Prune",
        "Mow",
        "Rake",
        "Brush",
        "Sweep",
        "Mop",
        "Vacuum",
        "Dust",
        "Scrub",
        "Rub",
    ]
)
ORDINARY_BEFORE_HERE_FOLDED = frozenset(word.casefold() for word in ORDINARY_BEFORE_HERE)
ORDINARY_CAPITALS_FOLDED = frozenset(word.casefold() for word in ORDINARY_CAPITALS)

_CAPITALISED_WORD = r"[A-Z][A-Za-z0-9]*(?:[-.+_][A-Za-z0-9]+)*\+?"
# "zq-omega-7b", "glm4-9b": lower case but with a digit, like a model id.
_ID_LIKE_WORD = (
    r"(?=[a-z0-9._-]*\d)[a-z][a-z0-9]*(?:[-._][a-z0-9]+)+|(?=[a-z]*\d)[a-z]+\d[a-z0-9.]*"
)
_VERSION_WORD = r"(?:v?\d+(?:\.\d+)*[A-Za-z]*)"
_NAME = rf"(?:{_CAPITALISED_WORD}(?:[ \t](?:{_CAPITALISED_WORD}|{_VERSION_WORD})){{0,3}}|{_ID_LIKE_WORD})"
_NOUN_EN = (
    r"(?:(?:[\w-]+\s+){0,4}?(?:model|assistant|AI|chatbot|LLM|system|bot|agent|intelligence)"
    r"(?![\w-]))"
)
_VERB_EN = (
    r"(?:developed|created|trained|built|made|designed|released|engineered|programmed|"
    r"fine-tuned|finetuned|brought\s+to\s+you)"
)
_ORG = rf"(?:the\s+(?:team|researchers|engineers|people)\s+(?:at|of)\s+)?(?P<org>{_NAME})"
# The lead after its first character, which the pattern matches first (a fast scan).
_LEAD_EN_FIRST = r"[IMm]"
_LEAD_EN_REST = (
    r"(?:(?<=I)\s+am\s+called|(?<=I)['’]m\s+called|(?<=I)\s+am|(?<=I)['’]m|(?<=[Mm])y\s+name\s+is)"
)
# After the name: the clause ends, or a model noun, a maker or "here" follows.
_AFTER_NAME_EN = (
    rf"(?=\s*(?:[,.;:!?)\]]|\Z|\n)|\s+(?:and|here|your|version|{_VERB_EN}|from|by)(?![\w-])"
    rf"|\s+(?:a|an|the)\s+{_NOUN_EN})"
)
# One pattern per form, each with one named group: a rejected name must not hide another form
# that starts at the same place.
_ENGLISH = (
    # I am X(, a ... model)(, developed by Y)
    re.compile(
        rf"[IMm](?<![\w-][IMm])(?<={_LEAD_EN_FIRST}){_LEAD_EN_REST}\s+(?P<name>{_NAME}){_AFTER_NAME_EN}"
        rf"(?:,?\s+(?:(?:a|an|the)\s+{_NOUN_EN},?\s+)?(?:{_VERB_EN}\s+by|from)\s+{_ORG})?"
    ),
    # As X, a ... model(, developed by Y) / As x-7b, I ...
    re.compile(
        rf"[Aa](?<![\w-][Aa])s\s+(?P<as_name>{_NAME}),\s+(?:(?:a|an|the|your)\s+{_NOUN_EN}"
        rf"(?:,?\s+(?:{_VERB_EN}\s+by|from)\s+(?P<as_org>{_NAME}))?|(?=I\s|I['’]|my\s))"
    ),
    # X here, ... (searched backwards from each " here,": see _HERE)
    re.compile(
        r"(?:^|(?<=[.!?]\s)|(?<=\n)|(?<=Hi[,!]\s)|(?<=Hey[,!]\s)|(?<=Hello[,!]\s)"
        r"|(?<=there,\s))"
        rf"(?P<here_name>{_NAME})\Z"
    ),
    # I was developed by Y / I'm an AI assistant developed by Y
    re.compile(
        rf"[IAa](?<![\w-][IAa])(?:(?<=I)(?:\s+(?:was|am|have\s+been)|['’]m)\s+(?:originally\s+|initially\s+)?"
        rf"|(?:(?<=I)\s+am|(?<=I)['’]m|(?<=[Aa])s)\s+(?:a|an|the|your)\s+{_NOUN_EN},?\s+"
        rf"(?:that\s+was\s+|which\s+was\s+)?)"
        rf"{_VERB_EN}\s+by\s+(?:the\s+(?:team|researchers|engineers|people)\s+(?:at|of)\s+)?"
        rf"(?P<made_by>{_NAME})"
    ),
)
# I, X, will answer (X set off by commas right after a leading "I"; "I, too," is lower case).
_APPOSED_TO_I = re.compile(
    rf"I,(?<![\w-]I,)(?<![\w-][ \t]I,)[ \t]+(?P<apposed>{_NAME}),[ \t]+(?!(?:and|or|nor)(?![\w-]))"
    r"(?=[a-z])"
)
# (You can) call me X
_CALL_ME = re.compile(
    rf"all(?<![\w-][Cc]all)(?<=[Cc]all)[ \t]+me[ \t]+(?P<called>{_NAME})"
    r"(?=\s*(?:[,.;:!?)\]]|\Z|\n)|\s+(?:for\s+short|if|or|and|instead|from|by)(?![\w-]))"
)
# Greetings from X! / Hello from the team at X, (at the start of a text, line or sentence).
# The pattern starts at "from", which keeps its scan fast; the greeting is looked for behind.
_GREETING_FROM = re.compile(
    r"from(?<![\w-]from)\s+"
    rf"(?:the\s+(?:team|folks|people|crew)\s+(?:at|of)\s+)?(?P<greeting_from>{_NAME})"
    r"(?=\s*(?:[,.;:!?—–-]|\Z|\n))"
)
_GREETING_BEFORE_FROM = re.compile(
    r"(?:(?:Warm|Warmest|Kind|Best|Friendly|Hearty|Many)\s+greetings|Greetings|Hello|Hi|Hey|"
    r"Howdy|Salutations)(?:\s+again)?\s+\Z"
)
_GREETING_REACH = 30
# Created by X, I can help ... (a participle phrase that begins a sentence and leads into "I";
# every branch starts with a capital letter, which keeps the scan fast)
_MADE_BY_LEAD = re.compile(
    r"(?:Developed|Created|Trained|Built|Made|Designed|Released|Engineered|Programmed|"
    rf"Fine-tuned|Finetuned|Brought\s+to\s+you|Proudly\s+{_VERB_EN}|Originally\s+{_VERB_EN})"
    rf"(?:\s+and\s+{_VERB_EN})?\s+by\s+(?:the\s+(?:team|researchers|engineers|people)\s+(?:at|of)\s+)?"
    rf"(?P<made_by_lead>{_NAME})(?:\s+(?:as|to\s+be)\s+(?:a|an|the|your)\s+{_NOUN_EN})?"
    r",\s+(?=I\s|I['’]|my\s)"
)
# I am an assistant from X / As an AI model from X, I
_NOUN_FROM = re.compile(
    rf"[IAa](?<![\w-][IAa])(?:(?<=I)\s+am|(?<=I)['’]m|(?<=[Aa])s)\s+(?:a|an|the|your)\s+"
    rf"(?P<noun>{_NOUN_EN})\s+from\s+(?:the\s+(?:team|researchers|engineers|people)\s+(?:at|of)\s+)?"
    rf"(?P<from_org>{_NAME})"
)
# Nouns that only a program calls itself; "assistant", "agent" or "model" are also jobs.
_PROGRAM_NOUN = re.compile(
    r"(?i)(?<![\w-])(?:ai|llm|chatbot|bot|language\s+model|artificial\s+intelligence)(?!\w)"
)
# A maker's name rather than a place's: a digit, an inner capital, or "AI"/"Labs" at the end.
_ORG_SHAPE = re.compile(r"\d|[a-z][A-Z]|(?<![\w-])(?:AI|Labs?|Research)\Z")
# A sign-off that ends the text: "Best regards,\nX" / "Cheers, X" (one more line may follow).
_CLOSING_EN = (
    r"(?:(?:Best|Kind|Kindest|Warm|Warmest|Warm\s+and\s+kind)\s+(?:regards|wishes)|Regards|"
    r"With\s+(?:best|kind|warm|warmest)\s+regards|Best|All\s+the\s+best|Sincerely(?:\s+yours)?|"
    r"Yours(?:\s+(?:sincerely|truly|faithfully|respectfully|always))?|Respectfully(?:\s+yours)?|"
    r"Cordially|Warmly|Cheers|Thanks|Many\s+thanks|Thank\s+you|"
    r"With\s+(?:thanks|gratitude|appreciation)|Take\s+care|Talk\s+soon|Until\s+next\s+time|"
    r"Your\s+(?:[\w-]+\s+){0,3}?(?:assistant|AI|model|bot|chatbot|companion|helper|guide))"
)
_SIGN_OFF = re.compile(
    rf"{_CLOSING_EN}(?:[ \t]*,[ \t]*(?:\n\s*)?|[ \t]*!?[ \t]*\n\s*)(?:—|--?)?[ \t]*[*_]{{0,2}}"
    rf"(?P<signed>{_NAME})[*_]{{0,2}}[ \t]*(?:\n[ \t]*[^\s][^\n]{{0,79}})?\s*\Z"
)
_SIGN_OFF_REACH = 300
# This is X (where a text or a greeting starts: see _GREETING_BEFORE_HERE), when the speaker
# goes on ("This is X. I ...", "This is X, your ...", "This is X speaking") or nothing follows.
_THIS_IS = re.compile(
    rf"[Tt]his[ \t]+is[ \t]+(?P<this_name>{_NAME})"
    rf"(?=[ \t]+(?:speaking|here)(?![\w-])|,[ \t]+(?:your\s|(?:a|an|the)\s+{_NOUN_EN})"
    r"|[,.!][ \t]+(?:and[ \t]+)?(?:I|[Mm]y|[Mm]e)(?![\w-])|[.!]?\s*\Z)"
)
# Capitalised words after "This is" that are not names.
ORDINARY_AFTER_THIS_IS_FOLDED = ORDINARY_CAPITALS_FOLDED | frozenset(
    [
        "step",
        "part",
        "phase",
        "stage",
        "section",
        "chapter",
        "option",
        "plan",
        "task",
        "lesson",
        "unit",
        "module",
        "week",
        "day",
        "round",
        "level",
        "version",
        "draft",
        "example",
        "important",
        "why",
        "how",
        "what",
        "where",
        "when",
        "who",
        "it",
        "this",
        "that",
        "not",
    ]
)
# X (an AI assistant) / X, a large language model, ...: a name with a program's appositive.
# The pattern starts at the bracket or comma, which keeps its scan fast; the name is looked for
# behind it (_NAME_BEFORE_APPOSITIVE).
_APPOSITIVE_EN = re.compile(
    r"[(,](?<=(?:[\w\t ]\(|\w,))[ \t]*(?:a|an|the|your)[ \t]+"
    r"(?P<appositive_noun>(?:[\w-]+[ \t]+){0,3}?"
    r"(?:assistant|model|chatbot|bot|system|agent|helper|companion|AI|LLM))[ \t]*[),]"
)
_NAME_BEFORE_APPOSITIVE = re.compile(rf"(?<![\w-])(?P<appositive_name>{_NAME})[ \t]*\Z")
_APPOSITIVE_REACH = 60
# Capitalised words that begin a sentence before an appositive ("Next, an AI model, ...").
ORDINARY_BEFORE_APPOSITIVE_FOLDED = (
    ORDINARY_CAPITALS_FOLDED
    | ORDINARY_BEFORE_HERE_FOLDED
    | frozenset(
        [
            "next",
            "first",
            "second",
            "third",
            "finally",
            "however",
            "instead",
            "meanwhile",
            "similarly",
            "alternatively",
            "otherwise",
            "later",
            "today",
            "here",
            "there",
            "above",
            "below",
        ]
    )
)
# A signature after a dash or a "signed" mark on the last line: "— X", "-- X", "(signed) X",
# "Signed: X", "/s/ X" (one more line may follow); a mark may also follow the last sentence.
_SIGNATURE_EN = re.compile(
    r"(?m)(?:^[ \t]*(?P<dash>——|—|–|―|--)|(?:^[ \t]*|(?<=[.!?])[ \t]+)"
    r"(?:\(signed\)|\[signed\]|/s/|(?:Signed|Signature)[ \t]*[,:]))"
    rf"[ \t]*(?:\n\s*)?[*_]{{0,2}}(?P<mark_signed>{_NAME})[*_]{{0,2}}[ \t]*"
    r"(?:\n[ \t]*[^\s][^\n]{0,79})?\s*\Z"
)
_QUOTE_CLOSERS = "\"”’'»」』"
# Words one of which every closing holds: a fast test before the full pattern.
_CLOSING_HINT = re.compile(
    r"egards|ishes|Best|the best|incerely|Yours|espectfully|ordially|Warmly|Cheers|hanks|Thank|"
    r"Take care|Talk soon|Until next|Your |With "
)
# Capitalised words that end a letter in the place of a name.
ORDINARY_SIGNATURES_FOLDED = ORDINARY_CAPITALS_FOLDED | frozenset(
    [
        "team",
        "everyone",
        "everybody",
        "all",
        "again",
        "friends",
        "folks",
        "guys",
        "staff",
        "management",
        "customer",
        "support",
        "love",
    ]
)
# Capitalised words that end a text after a dash or "signed" in the place of a name.
ORDINARY_AFTER_MARK_FOLDED = ORDINARY_SIGNATURES_FOLDED | frozenset(
    [
        "end",
        "fin",
        "anonymous",
        "unknown",
        "optional",
        "author",
        "summary",
        "note",
        "notes",
        "total",
        "tip",
        "tips",
        "source",
        "sources",
        "update",
        "edit",
        "done",
        "none",
        "n/a",
    ]
)
# Capitalised words after "call me" that are not names.
ORDINARY_AFTER_CALL_FOLDED = ORDINARY_CAPITALS_FOLDED | frozenset(
    ["asap", "anytime", "tonight", "today", "tomorrow", "later", "maybe", "please"]
)
# " here" or " at your service" after a name (the name is read backwards from it).
_HERE = re.compile(
    r"[ \t]+(?:here|at[ \t]+your[ \t]+service)(?:(?=\s*[,!:—–-])|(?P<stop>(?=\.(?!\.)|\s*\Z)))"
)
# What may stand before "X here." with a full stop: nothing, or a greeting ("Hi!", "Hey there,").
_GREETING_BEFORE_HERE = re.compile(
    r"(?:\A|(?:Hi|Hey|Hello|Greetings|Howdy)(?:\s+(?:there|again|everyone|all))?[,!.]?)\s*\Z"
)
_GREETING_BEFORE_HERE_REACH = 40


def _after_greeting_or_start(text: str, start: int) -> bool:
    """Whether only a greeting ("Hi!", "Hey there,") or nothing stands before start."""
    return bool(
        _GREETING_BEFORE_HERE.search(text, max(0, start - _GREETING_BEFORE_HERE_REACH), start)
    )


_HERE_REACH = 80


def _may_hold_here(text: str) -> bool:
    """Whether text holds a word every match of _HERE holds: a fast test before the pattern."""
    return "here" in text or "service" in text


# What every match of _SIGNATURE_EN holds: a dash or a "signed" mark.
_SIGNATURE_MARKS_EN = ("—", "–", "―", "--", "(signed)", "[signed]", "/s/", "Signed", "Signature")


def _may_hold_signature_mark(text: str, start: int) -> bool:
    """Whether text from start holds a mark every match of _SIGNATURE_EN starting there holds."""
    return any(text.find(mark, start) != -1 for mark in _SIGNATURE_MARKS_EN)


# A name with a model size: "Vorbler-7B", "Qwen2.5-72B", "Vorbler-1.5B-Instruct", "Mixtral-8x7B",
# "Vorbler-350M". The pattern starts at the hyphen before the size, which keeps its scan fast;
# the name is read backwards from it (_NAME_BEFORE_SIZE).
_MODEL_SIZE = re.compile(
    r"-(?<=[A-Za-z0-9.]-)(?:\d+x)?\d+(?:\.\d+)?(?P<unit>[BbMm])"
    r"(?:-[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)*(?![A-Za-z0-9_]|\.\w|-\w)"
)
_NAME_BEFORE_SIZE = re.compile(r"(?<![\w.-])[A-Z][A-Za-z0-9]*(?:[.-][A-Za-z0-9]+)*\Z")
_SIZE_REACH = 40
# Labels that a code of a room, a seat or a form follows ("Room-12B", "Gate-3B", "Form-1099M").
ORDINARY_BEFORE_SIZE_FOLDED = ORDINARY_CAPITALS_FOLDED | frozenset(
    [
        "room",
        "suite",
        "unit",
        "apt",
        "flat",
        "gate",
        "seat",
        "bay",
        "dock",
        "lot",
        "block",
        "level",
        "floor",
        "section",
        "grade",
        "form",
        "part",
        "page",
        "box",
        "bus",
        "route",
        "platform",
        "building",
        "bldg",
        "locker",
        "cabin",
        "row",
        "item",
        "type",
        "size",
        "class",
        "zone",
        "area",
        "ward",
        "bed",
        "exit",
        "lane",
        "pier",
        "terminal",
        "wing",
        "cell",
        "plot",
        "shelf",
        "aisle",
        "bin",
        "rack",
        "slot",
        "tab",
        "step",
        "phase",
        "stage",
        "table",
        "figure",
        "fig",
        "chapter",
        "line",
        "no",
        "ref",
        "code",
        "question",
        "option",
        "plan",
        "task",
        "lesson",
        "exercise",
        "problem",
        "case",
        "version",
        "module",
        "appendix",
        "annex",
        "exhibit",
        "article",
        "clause",
        "paragraph",
        "sheet",
        "tier",
        "week",
        "day",
        "scenario",
        "schedule",
        "test",
        "track",
    ]
)
# I am the Vorbler assistant / I'm your Vorbler model: a word no English list knows before a
# model noun ("I am the Research assistant", "I'm your Virtual assistant" are English words).
_BRAND_BEFORE_NOUN = re.compile(
    r"I(?<![\w-]I)(?:\s+am|['’]m)\s+(?:the|an|a|your)\s+"
    r"(?P<brand>[A-Z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*(?:[ \t][A-Z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*)?)"
    r"\s+(?:assistant|model|AI|chatbot|bot|language\s+model|LLM)(?![\w-])"
)
# You're talking to Vorbler. / You are chatting with Vorbler about ...
_TALKING_TO = re.compile(
    r"[Yy]ou(?<![\w-][Yy]ou)(?:['’]re|\s+are)\s+(?:talking|speaking|chatting)\s+(?:to|with)\s+"
    rf"(?P<talking_to>{_CAPITALISED_WORD}(?:[ \t]{_CAPITALISED_WORD}){{0,2}})"
    r"(?P<talking_end>(?=\s*(?:[,.;:!?)\]]|\Z|\n)))?(?![\w'’-])"
)


def _has_a_word_no_english_list_knows(name: str) -> bool:
    """Whether a word of name holds a digit or an inner capital, or is no English word."""
    return any(
        _MODEL_SHAPE.search(word) or not _is_english_word(word.casefold())
        for word in re.split(r"[\s.-]+", name)
        if word
    )


# A name of a model must look like one in "As X, I": a digit or an inner capital.
_MODEL_SHAPE = re.compile(r"\d|[a-z][A-Z]")
# Words that make "As X, I" a role ("As Director, I", "As Head Chef, I", "As Acting CEO, I")
# or an ordinary phrase ("As Usual, I"); with them the endings of most job titles (manager,
# editor, dentist, librarian, consultant ...) in _ROLE_ENDINGS.
ROLE_WORDS = frozenset(
    [
        "acting",
        "admin",
        "admiral",
        "apprentice",
        "architect",
        "artisan",
        "assistant",
        "associate",
        "athlete",
        "attorney",
        "aunt",
        "barista",
        "bishop",
        "brother",
        "captain",
        "chair",
        "chaplain",
        "chef",
        "chief",
        "citizen",
        "clerk",
        "cleric",
        "coach",
        "colonel",
        "concierge",
        "cook",
        "creative",
        "critic",
        "crew",
        "dad",
        "daughter",
        "deacon",
        "dean",
        "deputy",
        "elder",
        "executive",
        "field",
        "friend",
        "general",
        "global",
        "grandma",
        "grandpa",
        "guard",
        "guardian",
        "guide",
        "head",
        "host",
        "husband",
        "imam",
        "interim",
        "intern",
        "judge",
        "junior",
        "landlord",
        "lead",
        "locksmith",
        "blacksmith",
        "maid",
        "major",
        "marshal",
        "mason",
        "mayor",
        "medic",
        "paramedic",
        "mechanic",
        "midwife",
        "mom",
        "mum",
        "monk",
        "notary",
        "nun",
        "parent",
        "paralegal",
        "pilot",
        "poet",
        "priest",
        "prime",
        "principal",
        "product",
        "program",
        "programme",
        "project",
        "rabbi",
        "regional",
        "senior",
        "sheriff",
        "sister",
        "son",
        "sommelier",
        "staff",
        "steward",
        "surgeon",
        "team",
        "uncle",
        "umpire",
        "valet",
        "vet",
        "veteran",
        "vice",
        "wife",
        "usual",
        "such",
        "well",
        "ever",
        "before",
        "follows",
        "king",
        "queen",
        "pope",
        "prince",
        "duke",
        "lord",
        "lady",
        "sultan",
        "pharaoh",
        "knight",
        "squire",
        "bride",
        "groom",
        "counsel",
        "cadet",
        "corporal",
        "scout",
        "plaintiff",
        "guest",
        "novice",
        "expert",
        "professional",
        "rookie",
        "newbie",
        "pro",
    ]
)
# Capitalised words after "talking to" that are not names: a department, a role or a relative
# ("You're talking to Support.", "You're talking to Customer Service.", "You're talking to Mom.").
ORDINARY_AFTER_TALKING_FOLDED = (
    ORDINARY_CAPITALS_FOLDED
    | ORDINARY_BEFORE_HERE_FOLDED
    | ROLE_WORDS
    | frozenset(
        ["customer", "customers", "sales", "billing", "reception", "dispatch", "security"]
        + ["management", "accounts", "accounting", "tech", "technical", "service", "services"]
    )
)
# Given names that end like job titles and are English words too: "As Jasper, I" names the
# speaker, "As Manager, I" does not. A name wordfreq does not know needs no entry here
# (_is_english_word); one it knows, not listed here and without a letter of _RARE_IN_JOB_WORDS
# ("As Walker, I"), is read as a role in the form "As X, I" only ("I am X", "X here" and the
# rest still find it).
NAMES_ENDING_LIKE_ROLES = frozenset(
    [
        "jasper",
        "harper",
        "parker",
        "spencer",
        "oliver",
        "homer",
        "walter",
        "peter",
        "roger",
        "tyler",
        "skyler",
        "skylar",
        "piper",
        "sawyer",
        "asher",
        "ryder",
        "xander",
        "hunter",
        "carter",
        "cooper",
        "archer",
        "fletcher",
        "jennifer",
        "esther",
        "heather",
        "amber",
        "ember",
        "river",
        "juniper",
        "clover",
        "aster",
        "jupiter",
        "christopher",
        "alexander",
        "lavender",
        "victor",
        "hector",
        "trevor",
        "connor",
        "taylor",
        "igor",
        "eleanor",
        "vector",
        "brian",
        "adrian",
        "julian",
        "damian",
        "vivian",
        "lillian",
        "sebastian",
        "ian",
        "vincent",
        "laurent",
        "clement",
        "brent",
        "trent",
        "bryant",
        "grant",
        "mary",
        "gary",
        "zachary",
        "rosemary",
        "herman",
        "norman",
        "truman",
        "fred",
        "ted",
        "ahmed",
        "mohammed",
        "kate",
        "nate",
        "clive",
        "olive",
        "xavier",
        "olivier",
        "lee",
        "renee",
        "tess",
        "jess",
    ]
)
# Letters that job words ending like a person who does something (_AGENT_ENDINGS: "-er", "-or",
# "-ist", "-ian" ...) seldom hold, and invented names often do ("Zorbler", "Vexler", "Quintor",
# "Jaxter"): such a word ends like a job title only by chance, unless it is one of the job words
# that hold one (JOB_WORDS_WITH_RARE_LETTERS). This catches the given names wordfreq knows as
# English words ("Dexter", "Xavier", "Javier"); the listed job words are roles even where
# wordfreq does not know them ("Authorizer"). Participles and adjectives ("As Expected, I",
# "As Requested, I") keep the plain ending rule.
_RARE_IN_JOB_WORDS = re.compile(r"[zxqj]")
JOB_WORDS_WITH_RARE_LETTERS = frozenset(
    [
        "adjudicator",
        "adjuster",
        "analyzer",
        "antiquarian",
        "authorizer",
        "boxer",
        "conjurer",
        "conqueror",
        "enquirer",
        "equestrian",
        "examiner",
        "excavator",
        "executor",
        "exhibitor",
        "exorcist",
        "exporter",
        "exterminator",
        "fixer",
        "glazier",
        "inquirer",
        "inquisitor",
        "jailer",
        "janitor",
        "jazzman",
        "jeweler",
        "jeweller",
        "joiner",
        "journalist",
        "journeyman",
        "juggler",
        "jurist",
        "juror",
        "lexicographer",
        "liquidator",
        "major",
        "mixer",
        "mixologist",
        "organizer",
        "projectionist",
        "quarryman",
        "quartermaster",
        "questioner",
        "quilter",
        "saxophonist",
        "taxidermist",
        "taxonomist",
        "taxpayer",
        "zookeeper",
        "zoologist",
    ]
)
_ROLE_ENDINGS = (
    "er",
    "or",
    "ist",
    "yst",
    "ian",
    "ant",
    "ent",
    "eer",
    "ee",
    "ary",
    "ess",
    "man",
    "men",
    "person",
    "eur",
    "ier",
    "ive",
    "ed",
    "ate",
)

_AGENT_ENDINGS = ("er", "or", "ist", "yst", "ian", "eer", "ee", "ess", "man", "men", "eur", "ier")

# An English word, for "As X, I": one that wordfreq's English list holds at all. Its floor is a
# Zipf frequency of 1 (once in 100 million words); invented names ("Vorbler", "Zorbler",
# "Quintor", "Tesselian") are not in it, and the rarest trades it holds sit just above the floor
# ("perfusionist" 1.01, "horologist" 1.14, "taxonomist" 1.52), so any higher threshold would
# turn real job titles into names.
ENGLISH_WORD_MIN_ZIPF = 1.0


@functools.lru_cache(maxsize=4096)
def _is_english_word(folded: str) -> bool:
    """Whether wordfreq knows folded as an English word.

    Imported here, not at the top: importing wordfreq (~0.3 s) and its first lookup, which loads
    the word list (~0.2 s), are paid once per process and only by a process that meets an
    "As X, I" whose X ends like a job title; wordfreq keeps the list loaded, and this cache
    answers a word it has seen without tokenising it again. "I am the X assistant", "You're
    talking to X" and a name with a model size in lower-case metres ask it too, for their X only.
    """
    from wordfreq import zipf_frequency

    return zipf_frequency(folded, "en") >= ENGLISH_WORD_MIN_ZIPF


_CJK = r"\u4e00-\u9fff"
_LATIN_NAME_ZH = r"[A-Za-z][A-Za-z0-9]*(?:[-.·_][A-Za-z0-9]+)*\+?"
# Two to eight characters, none of them 的 (a description, not a name, holds one).
_CJK_NAME = rf"(?:(?!的)[{_CJK}A-Za-z0-9·]){{2,8}}?"
_ADJECTIVE_ZH = (
    r"(?:超大规模|大规模|大型|通用|智能|对话式|多模态|生成式|中文|开源|预训练|认知|综合)"
)
_NOUN_ZH = (
    rf"(?:{_ADJECTIVE_ZH}*(?:大语言模型|语言模型|大模型|模型|智能助手|AI助手|助手|助理|人工智能|AI|"
    r"聊天机器人|机器人|智能体))"
)
_LEAD_ZH = r"(?:我的名字是|我的名字叫|我名叫|我叫做|我叫|我就是|我是|作为|身为|这里是|本人是)"
_VERB_ZH = r"(?:开发|研发|训练|打造|推出|创建|创造|设计|构建|发布|研制)"
_CLAUSE_END_ZH = r"(?=[。！？，,.!?；;：:、\s]|\Z)"
_CHINESE = (
    # 我是Zorblax / 我是Zorblax的AI助手
    re.compile(
        rf"{_LEAD_ZH}\s*(?P<latin>{_LATIN_NAME_ZH})"
        rf"(?=\s*(?:[。！？，,.!?；;：:、\s]|\Z|的?{_NOUN_ZH}))"
    ),
    # 我是灵犀大模型
    re.compile(rf"{_LEAD_ZH}\s*(?P<cjk>{_CJK_NAME})(?={_NOUN_ZH})"),
    # 我是灵犀，一个AI助手。
    re.compile(
        rf"{_LEAD_ZH}\s*(?P<apposed>{_CJK_NAME})[，,]\s*"
        rf"(?=(?:一[个款种]|是)?[^。！？\n，,]{{0,15}}?{_NOUN_ZH}{_CLAUSE_END_ZH})"
    ),
    # 我是由X开发的 / 作为一个由X训练的
    re.compile(
        rf"(?:我(?:是|由|被)|作为|身为)(?:一[个款种])?\s*由?\s*(?P<maker>{_CJK_NAME})\s*"
        rf"(?:公司|团队|实验室)?\s*(?:所|自主)?{_VERB_ZH}"
    ),
    # 由X开发的AI助手
    re.compile(
        rf"由\s*(?P<maker_of_model>{_CJK_NAME})\s*(?:公司|团队|实验室)?\s*(?:所|自主)?{_VERB_ZH}"
        rf"(?:和{_VERB_ZH})?的\s*(?=[^。！？，,]{{0,10}}?{_NOUN_ZH})"
    ),
    # X为您服务
    re.compile(
        rf"(?:^|(?<=[。！？!?.，,\s：:]))(?P<serving>{_LATIN_NAME_ZH}|[{_CJK}]{{2,6}})(?=为您服务)"
    ),
)
_LATIN_ORG_ZH = rf"{_LATIN_NAME_ZH}(?:[ \t]{_LATIN_NAME_ZH}){{0,2}}"
# 叫我Zorblax就好 / 你可以称呼我为Zorblax (a Latin name only: "叫我帮忙" is an errand)
_CALL_ME_ZH = re.compile(
    rf"(?:叫我|称呼我为|称呼我|称我为)\s*(?P<called>{_LATIN_NAME_ZH})"
    r"(?=\s*(?:[。！？，,.!?；;：:、\s]|\Z|就好|就行|就可以|即可|吧))"
)
# 我是来自Acme AI的助手 / 来自Acme AI的AI助手Zorblax
_FROM_ZH = re.compile(
    r"来自\s*"
    rf"(?P<maker>{_LATIN_ORG_ZH}|{_CJK_NAME})\s*(?:公司|团队|实验室)?的\s*"
    rf"(?P<noun>[^。！？，,\s]{{0,10}}?{_NOUN_ZH})(?P<ends>{_CLAUSE_END_ZH}|(?=[A-Za-z]))?"
    rf"(?P<model>{_LATIN_NAME_ZH})?"
)
# 我是/作为 before 来自 (looked for behind: the pattern starts at 来自, which keeps it fast)
_LEAD_BEFORE_FROM_ZH = re.compile(r"(?:我是|作为|身为)(?:一[个款种名位])?\s*\Z")
# Nouns that only a program calls itself (助手 and 助理 are also people).
_PROGRAM_NOUN_ZH = re.compile(r"模型|人工智能|AI|机器人|智能体|智能助手")
# 此致\n敬礼\nZorblax / 祝好，\n灵犀 at the end of the text (a date line may follow)
# Zorblax（一个AI助手）/ Zorblax，一个AI助手，: a Latin name with a program's appositive.
# (Like _APPOSITIVE_EN, the pattern starts at the bracket or comma and looks behind for the name.)
_APPOSITIVE_ZH = re.compile(
    r"[（(，,](?<=[A-Za-z0-9+\s][（(，,])(?:(?<=[（(])\s*(?:一[个款种名位])?"
    rf"(?P<noun>[^）)。，,\n]{{0,10}}?{_NOUN_ZH})\s*[）)]"
    rf"|(?<=[，,])\s*一[个款种名位](?P<noun_apposed>[^。，,\n]{{0,10}}?{_NOUN_ZH})\s*[，,])"
)
_NAME_BEFORE_APPOSITIVE_ZH = re.compile(rf"(?<![A-Za-z0-9])(?P<appositive>{_LATIN_NAME_ZH})\s*\Z")
# 我的名字是灵犀。/ 我名叫灵犀，/ 你好，我叫灵犀。/ 我叫灵犀，很高兴为您服务: a name in Chinese
# script that ends the clause. A plain 我叫 also calls or orders someone or something ("我叫出租车。",
# "我叫了外卖。", "我叫他过来。") and introduces a person in a story ("我叫小明，今年十岁。"): see
# _plain_call_names.
_NAMED_ZH = re.compile(
    rf"(?:(?P<strong>我的名字是|我的名字叫|我名叫|我叫做)|(?P<is>我是)|我叫)\s*"
    rf"(?P<named>[{_CJK}]{{2,6}}?)"
    r"(?=[。！？!?]|\s*\Z|[，,]\s*(?P<then>很高兴为|随时为|专门为|可以帮|能帮|负责解答|负责回答)?)"
)
# Last characters of job titles ("店长", "店员", "老师", "医生", "经理", "客服"): "我是店长，很高兴
# 为您服务" is a person at work.
_ROLE_ENDINGS_ZH = tuple("长员师生理管服问表板工家手士官者人主匠户客")
# What a plain 我叫 calls or orders rather than what it names: 叫了/叫醒 (a verb), 叫他/叫你
# (a person called over), 叫外卖/叫出租车 (a service ordered), 叫同事过来/叫他回去 (an errand).
_CALLED_NOT_A_NAME_ZH = frozenset(
    [
        "外卖",
        "快递",
        "的士",
        "滴滴",
        "代驾",
        "警察",
        "保安",
        "服务员",
        "同事",
        "朋友",
        "孩子",
        "家人",
    ]
)
_CALLED_FIRST_ZH = frozenset("了着过醒他她你您它们大家人")
_CALLED_LAST_ZH = frozenset("车来去回走忙饭菜醒")
_CALLED_ANYWHERE_ZH = frozenset("他她你您它们")
# Where a plain 我叫 may start: the text, a line, a sentence or a clause.
_CLAUSE_START_ZH = frozenset("。！？!?\n，,；;")
# An age in the sentence after "我叫X，" ("今年十岁"): a person, not a program.
_AGE_ZH = re.compile(r"岁|今年|年级")
_GREETING_BEFORE_ZH = re.compile(r"(?:你好|您好|大家好|各位好|嗨|哈喽|Hi|Hello)[，,！!。~～]?\s*\Z")
# 本人Zorblax，/ 我，Zorblax，/ Zorblax在此为您解答: a Latin-script name.
_LATIN_SELF_ZH = re.compile(
    rf"(?:本人|(?:^|(?<=[。！？!?\n]))我[，,])\s*(?P<self_latin>{_LATIN_NAME_ZH})(?=\s*[，,。！!])"
)
_LATIN_HERE_ZH = re.compile(
    rf"(?:^|(?<=[。！？!?\n，,：:]))(?P<here_latin>{_LATIN_NAME_ZH})\s*(?:在此|在这里)"
    r"(?=\s*(?:为|[，,。！!]|\Z))"
)
# ——X / （签名）X / 签名：X on the last line (a date line may follow)
_SIGNATURE_ZH = re.compile(
    r"(?m)^[ \t]*(?:(?P<dash>——|—|--)|（签名）|\(签名\)|(?:签名|落款|署名)[：:])[ \t]*"
    rf"(?P<signed>{_LATIN_ORG_ZH}|[{_CJK}A-Za-z0-9·]{{2,8}})[ \t]*"
    r"(?:\n[ \t]*\S[^\n]{0,39})?\s*\Z"
)
_SIGN_OFF_ZH = re.compile(
    r"(?:此致\s*敬礼|祝好)[！!。，,]?\s*\n\s*"
    rf"(?P<signed>{_LATIN_ORG_ZH}|[{_CJK}A-Za-z0-9·]{{2,8}})[ \t]*(?:\n[ \t]*\S[^\n]{{0,39}})?\s*\Z"
)
# 本助手（沃布勒）/ 本模型(Vorbler): the name of the program that writes, in brackets.
_OWN_NAME_IN_BRACKETS_ZH = re.compile(
    r"本(?:助手|模型|AI|系统|机器人|智能体)\s*[（(]\s*"
    rf"(?P<own>{_LATIN_ORG_ZH}|[{_CJK}A-Za-z0-9·]{{2,8}})\s*[）)]"
)
# What a bracket after 本系统 holds that is no name: "以下简称", "见图1", "第二版", "2024年版", "V2".
_NOT_A_NAME_IN_BRACKETS_ZH = re.compile(
    r"^(?:以下|下称|简称|即|见|参见|详见|如|例如|包括|含|注|第|共|约|图|表)|[版号型式]$|^[Vv]?\d"
)
# The stage or kind of a system in brackets ("本系统（试行）", "本模型（Beta）"): no name.
_ORDINARY_IN_BRACKETS_ZH = frozenset(
    [
        "试行",
        "暂行",
        "草案",
        "测试",
        "试用",
        "内测",
        "公测",
        "演示",
        "修订",
        "正式",
        "下同",
        "简体",
        "繁体",
    ]
    + ["中文", "英文", "beta", "alpha", "demo", "test", "pro", "lite", "free", "new", "preview"]
)
# Words that are roles, descriptions or people, not names, where a name would stand.
_NOT_A_NAME_ZH = frozenset(
    [
        "智能",
        "人工智能",
        "语言",
        "对话",
        "大型",
        "通用",
        "写作",
        "客服",
        "翻译",
        "编程",
        "学习",
        "聊天",
        "私人",
        "个人",
        "虚拟",
        "数字",
        "语音",
        "办公",
        "专业",
        "中文",
        "开源",
        "生成式",
        "多模态",
        "公司",
        "团队",
        "我们",
        "我们团队",
        "本公司",
        "政府",
        "学校",
        "专家",
        "工程师",
        "研究人员",
        "科学家",
        "老师",
        "医生",
        "大家",
        "用户",
        "贵公司",
        "你们",
        "他们",
        "AI",
        "LLM",
    ]
)
_NOT_A_NAME_START_ZH = frozenset(
    "一个名位您你他她它这那该本我某各其很竭乐随将会愿继正全热诚也都再为来在可能高非真用心尽马立即现今每共同永由特此专"
)


# Characters of adverbs and auxiliaries ("客服将继续为您服务"): a phrase, not a name.
_NOT_IN_A_NAME_ZH = frozenset("将会继续正在随时竭诚乐意愿很都也还再")


def _chinese_name_ok(name: str) -> bool:
    if name in _NOT_A_NAME_ZH or name[0] in _NOT_A_NAME_START_ZH:
        return False
    if not name.isascii() and _NOT_IN_A_NAME_ZH.intersection(name):
        return False
    return "的" not in name and not name.isdigit()


def _english_name_ok(name: str, *, stop: frozenset[str]) -> bool:
    first = re.split(r"[\s.-]", name, maxsplit=1)[0]
    return first.casefold() not in stop


def _is_role(name: str) -> bool:
    """Whether "As X, I" speaks as a role: a job word, an English word ending like one, an
    acronym, an ordinary word. An X of several words with one that is no word of English
    ("Vorbler Prime", "Senior Zorbler") is a name, whatever the others are."""
    words = [word for word in re.split(r"[\s-]+", name) if word]
    if len(words) > 1 and any(_is_invented(word) for word in words):
        return False
    for word in words:
        if word.isupper() and word.isalpha() and len(word) <= 4:
            return True
        folded = word.casefold()
        for form in (folded, folded[:-1] if folded.endswith("s") else folded):
            if form in ROLE_WORDS or form in ORDINARY_CAPITALS_FOLDED:
                return True
            if not form.endswith(_ROLE_ENDINGS) or folded in NAMES_ENDING_LIKE_ROLES:
                continue
            if form in JOB_WORDS_WITH_RARE_LETTERS:
                return True
            # "As Zorbler, I" and "As Dexter, I": a rare letter; "As Vorbler, I": no English word.
            rare = form.endswith(_AGENT_ENDINGS) and _RARE_IN_JOB_WORDS.search(form)
            if not rare and _is_english_word(form):
                return True
    return False


def _is_invented(word: str) -> bool:
    """Whether a word of a several-word X in "As X, I" is no word of English: a capitalised word
    ("Vorbler", not "DevOps", whose inner capital marks the jargon of trades), not a job or
    ordinary word, and either unknown to wordfreq or an agent word with a letter job words seldom
    hold ("Zorbler")."""
    if not (word.isalpha() and word[0].isupper() and word[1:].islower()):
        return False
    folded = word.casefold()
    if folded in ROLE_WORDS or folded in ORDINARY_CAPITALS_FOLDED:
        return False
    if folded in JOB_WORDS_WITH_RARE_LETTERS:
        return False
    if folded.endswith(_AGENT_ENDINGS) and _RARE_IN_JOB_WORDS.search(folded):
        return True
    return not _is_english_word(folded)


def _starts_sentence(text: str, start: int) -> bool:
    """Whether start begins the text, a line or a sentence (spaces and tabs before it aside)."""
    before = text[:start].rstrip(" \t")
    return not before or before[-1] in "\n.!?" or before.endswith(('."', ".”", "!”", "?”"))


def _attributes_or_lists(text: str, match: re.Match[str]) -> bool:
    """Whether a dash line closes a quotation ("“...”\n— Confucius") or is an item of a list
    whose items start with the same dash ("— Plywood\n— Glue"): no signature."""
    dash = match.group("dash")
    if dash is None:
        return False
    before = text[: match.start()].rstrip()
    previous = before.rsplit("\n", 1)[-1].strip()
    if previous.endswith(tuple(_QUOTE_CLOSERS)):
        return True
    neighbours = (previous, *text[match.start() :].strip().split("\n")[1:2])
    return any(line.strip().startswith(dash) for line in neighbours)


def _english_spans(text: str) -> Iterator[tuple[int, int]]:
    introduced, as_lead, here, made_by = _ENGLISH
    # Cheap tests first: most texts introduce nothing.
    speaks = "I" in text and ("I am" in text or "I'm" in text or "I’m" in text)
    if not (speaks or "name is" in text):
        introduced_matches: Iterator[re.Match[str]] = iter(())
    else:
        introduced_matches = introduced.finditer(text)
    for match in introduced_matches:
        if _english_name_ok(match.group("name"), stop=ORDINARY_CAPITALS_FOLDED):
            yield match.span("name")
            org = match.group("org")
            if org and _english_name_ok(org, stop=ORDINARY_CAPITALS_FOLDED):
                yield match.span("org")
    for match in _BRAND_BEFORE_NOUN.finditer(text) if speaks else ():
        # "I am the Research assistant": an English word names a kind of help, not a program.
        brand = match.group("brand")
        if _english_name_ok(
            brand, stop=ORDINARY_CAPITALS_FOLDED
        ) and _has_a_word_no_english_list_knows(brand):
            yield match.span("brand")
    for match in _MODEL_SIZE.finditer(text):
        named = _NAME_BEFORE_SIZE.search(text, max(0, match.start() - _SIZE_REACH), match.start())
        if named is None:
            continue
        name = named.group(0)
        # "W-2B" and "B-52B" are forms and planes; "Room-12B" is a room; "Cable-10m" a length.
        if sum(char.isalpha() for char in name) < 2 or not _english_name_ok(
            name, stop=ORDINARY_BEFORE_SIZE_FOLDED
        ):
            continue
        if match.group("unit") == "m" and not _has_a_word_no_english_list_knows(name):
            continue
        yield named.start(), match.end()
    if "alking" in text or "peaking" in text or "hatting" in text:
        for match in _TALKING_TO.finditer(text):
            name = match.group("talking_to")
            # "You're talking to Customers directly": an English word that does not end the
            # clause is an ordinary object.
            if _english_name_ok(name, stop=ORDINARY_AFTER_TALKING_FOLDED) and (
                match.group("talking_end") is not None or _has_a_word_no_english_list_knows(name)
            ):
                yield match.span("talking_to")
    for match in as_lead.finditer(text):
        name = match.group("as_name")
        # "As X, I" only for a name shaped like a model's; "As Director, I" is a role.
        apposed = not match.group(0).endswith(" ")
        shaped = bool(_MODEL_SHAPE.search(name))
        role = not (apposed or shaped) and _is_role(name)
        if _english_name_ok(name, stop=ORDINARY_CAPITALS_FOLDED) and not role:
            yield match.span("as_name")
            if match.group("as_org"):
                yield match.span("as_org")
    for hit in _HERE.finditer(text) if _may_hold_here(text) else ():
        # The name just before " here": read backwards from the hit, within one sentence.
        window_start = max(0, hit.start() - _HERE_REACH)
        match = here.search(text[window_start : hit.start()])
        if match is None or (window_start > 0 and match.start() == 0):
            continue
        start, end = match.span("here_name")
        # "X here." ends the sentence: a self-introduction only where a text or greeting starts.
        if hit.group("stop") is not None and not _after_greeting_or_start(
            text, window_start + start
        ):
            continue
        if _english_name_ok(match.group("here_name"), stop=ORDINARY_BEFORE_HERE_FOLDED):
            yield window_start + start, window_start + end
    if "his is " in text:
        for match in _THIS_IS.finditer(text):
            if _after_greeting_or_start(text, match.start()) and _english_name_ok(
                match.group("this_name"), stop=ORDINARY_AFTER_THIS_IS_FOLDED
            ):
                yield match.span("this_name")
    for match in _APPOSITIVE_EN.finditer(text):
        # "Jones, a dental assistant," is a person: the noun must be a program's.
        if not _PROGRAM_NOUN.search(match.group("appositive_noun")):
            continue
        named = _NAME_BEFORE_APPOSITIVE.search(
            text, max(0, match.start() - _APPOSITIVE_REACH), match.start()
        )
        if named and _english_name_ok(
            named.group("appositive_name"), stop=ORDINARY_BEFORE_APPOSITIVE_FOLDED
        ):
            yield named.span("appositive_name")
    if "I, " in text:
        for match in _APPOSED_TO_I.finditer(text):
            name = match.group("apposed")
            # "sections H, I, J, ..." and "I, II, III": a letter or a numeral, not a name.
            numeral = len(name) == 1 or re.fullmatch(r"[IVXLCDM]+", name.split()[0])
            if not numeral and _english_name_ok(name, stop=ORDINARY_CAPITALS_FOLDED):
                yield match.span("apposed")
    if "all me" in text:
        for match in _CALL_ME.finditer(text):
            if _english_name_ok(match.group("called"), stop=ORDINARY_AFTER_CALL_FOLDED):
                yield match.span("called")
    if "from " in text:
        for match in _GREETING_FROM.finditer(text):
            greeting = _GREETING_BEFORE_FROM.search(
                text, max(0, match.start() - _GREETING_REACH), match.start()
            )
            if (
                greeting
                and _starts_sentence(text, greeting.start())
                and _english_name_ok(match.group("greeting_from"), stop=ORDINARY_CAPITALS_FOLDED)
            ):
                yield match.span("greeting_from")
        for match in _NOUN_FROM.finditer(text):
            org = match.group("from_org")
            # "a travel agent from Denver": a job and a place, unless the noun is a program's
            # or the name is shaped like a maker's.
            program = _PROGRAM_NOUN.search(match.group("noun"))
            if (program or _ORG_SHAPE.search(org)) and _english_name_ok(
                org, stop=ORDINARY_CAPITALS_FOLDED
            ):
                yield match.span("from_org")
    tail_start = max(0, len(text) - _SIGN_OFF_REACH)
    closings = (
        _SIGN_OFF.finditer(text, tail_start) if _CLOSING_HINT.search(text, tail_start) else ()
    )
    for match in closings:
        if _starts_sentence(text, match.start()) and _english_name_ok(
            match.group("signed"), stop=ORDINARY_SIGNATURES_FOLDED
        ):
            yield match.span("signed")
            break
    signatures = (
        _SIGNATURE_EN.finditer(text, tail_start)
        if _may_hold_signature_mark(text, tail_start)
        else ()
    )
    for match in signatures:
        name = match.group("mark_signed")
        # "— End", "Signed: Store Manager": a word or a role, not a name.
        if (
            not _attributes_or_lists(text, match)
            and _english_name_ok(name, stop=ORDINARY_AFTER_MARK_FOLDED)
            and not _is_role(name)
        ):
            yield match.span("mark_signed")
    if " by " not in text:
        return
    for match in made_by.finditer(text):
        if _english_name_ok(match.group("made_by"), stop=ORDINARY_CAPITALS_FOLDED):
            yield match.span("made_by")
    for match in _MADE_BY_LEAD.finditer(text):
        name = match.group("made_by_lead")
        if _starts_sentence(text, match.start()) and _english_name_ok(
            name, stop=ORDINARY_CAPITALS_FOLDED
        ):
            yield match.span("made_by_lead")


def _plain_call_names(text: str, match: re.Match[str]) -> bool:
    """Whether a plain "我叫X" with no greeting before it and no offer to help after it names
    the speaker: it starts the text or a clause, X is two to four characters and none of what
    叫 calls or orders (_CALLED_NOT_A_NAME_ZH ...), and the sentence ends after X ("我叫灵犀。")
    or goes on after a comma without an age ("我叫灵犀，今天先做预算。", not "我叫小明，今年十岁。")."""
    before = text[: match.start()].rstrip(" \t")
    if before and before[-1] not in _CLAUSE_START_ZH:
        return False
    name = match.group("named")
    if (
        len(name) > 4
        or name in _CALLED_NOT_A_NAME_ZH
        or name[0] in _CALLED_FIRST_ZH
        or name[-1] in _CALLED_LAST_ZH
        or _CALLED_ANYWHERE_ZH.intersection(name)
    ):
        return False
    rest = text[match.end("named") :]
    if rest[:1] in ("，", ","):
        sentence = re.split(r"[。！？!?\n]", rest, maxsplit=1)[0]
        return not _AGE_ZH.search(sentence)
    return True


def _chinese_spans(text: str) -> Iterator[tuple[int, int]]:
    for pattern in _CHINESE:
        if pattern is _CHINESE[-1] and "为您服务" not in text:
            continue
        for match in pattern.finditer(text):
            group = next(iter(pattern.groupindex))
            name = match.group(group)
            latin = group == "latin" or (group == "serving" and name.isascii())
            if latin and name.upper() in {"AI", "LLM", "A", "AN"}:
                continue
            if latin or _chinese_name_ok(name):
                yield match.span(group)
    if "叫我" in text or "称" in text:
        for match in _CALL_ME_ZH.finditer(text):
            if match.group("called").upper() not in {"AI", "LLM", "A", "AN"}:
                yield match.span("called")
    if "来自" in text:
        for match in _FROM_ZH.finditer(text):
            maker = match.group("maker")
            program = bool(_PROGRAM_NOUN_ZH.search(match.group("noun")))
            lead = _LEAD_BEFORE_FROM_ZH.search(text, max(0, match.start() - 8), match.start())
            if maker.isascii():
                # "来自MIT的助理教授": without 我是/作为 the noun must end the phrase.
                ok = maker.upper() not in {"AI", "LLM"} and (
                    lead is not None or match.group("ends") is not None
                )
            else:
                # "我是来自北京的助理" is a person: a Chinese maker needs 我是 and a program noun.
                ok = lead is not None and program and _chinese_name_ok(maker)
            if ok:
                yield match.span("maker")
                if match.group("model") and match.group("model").upper() not in {"AI", "LLM"}:
                    yield match.span("model")
    for match in _OWN_NAME_IN_BRACKETS_ZH.finditer(text) if "本" in text else ():
        name = match.group("own")
        if (
            _NOT_A_NAME_IN_BRACKETS_ZH.search(name)
            or name.upper() in {"AI", "LLM"}
            or name.casefold() in _ORDINARY_IN_BRACKETS_ZH
        ):
            continue
        if name.isascii() or _chinese_name_ok(name):
            yield match.span("own")
    tail_start = max(0, len(text) - _SIGN_OFF_REACH)
    for match in _SIGN_OFF_ZH.finditer(text, tail_start):
        name = match.group("signed")
        if (name.isascii() and name.upper() not in {"AI", "LLM"}) or _chinese_name_ok(name):
            yield match.span("signed")
    if "我" in text:
        for match in _NAMED_ZH.finditer(text):
            if match.group("is") is not None:
                # 我是X, with an offer to help after it, and X no job title.
                if match.group("then") is None or match.group("named").endswith(_ROLE_ENDINGS_ZH):
                    continue
            elif (
                match.group("strong") is None
                and match.group("then") is None
                and not _GREETING_BEFORE_ZH.search(text, max(0, match.start() - 8), match.start())
                and not _plain_call_names(text, match)
            ):
                continue
            if _chinese_name_ok(match.group("named")):
                yield match.span("named")
    latin_self = (
        _LATIN_SELF_ZH.finditer(text) if "本人" in text or "我，" in text or "我," in text else ()
    )
    latin_here = _LATIN_HERE_ZH.finditer(text) if "在此" in text or "在这里" in text else ()
    for match in itertools.chain(latin_self, latin_here):
        group = "self_latin" if "self_latin" in match.re.groupindex else "here_latin"
        name = match.group(group)
        if name.upper() not in {"AI", "LLM", "A", "AN"} and _english_name_ok(
            name, stop=ORDINARY_CAPITALS_FOLDED
        ):
            yield match.span(group)
    for match in _APPOSITIVE_ZH.finditer(text) if _PROGRAM_NOUN_ZH.search(text) else ():
        if not _PROGRAM_NOUN_ZH.search(match.group("noun") or match.group("noun_apposed")):
            continue
        named = _NAME_BEFORE_APPOSITIVE_ZH.search(
            text, max(0, match.start() - _APPOSITIVE_REACH), match.start()
        )
        if named and named.group("appositive").upper() not in {"AI", "LLM", "A", "AN"}:
            yield named.span("appositive")
    for match in _SIGNATURE_ZH.finditer(text, tail_start):
        name = match.group("signed")
        if _attributes_or_lists(text, match):
            continue
        if (name.isascii() and name.upper() not in {"AI", "LLM"}) or _chinese_name_ok(name):
            yield match.span("signed")


_HAS_CJK = re.compile(f"[{_CJK}]")


def unknown_name_spans(text: str) -> list[tuple[int, int]]:
    """Spans of text that a self-introduction names, sorted, not overlapping."""
    spans = list(_english_spans(text))
    if not text.isascii() and _HAS_CJK.search(text):
        spans.extend(_chinese_spans(text))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            continue
        merged.append((start, end))
    return merged


_HINTS = re.compile(
    r"(?i)(?<![\w-])(?:as|i\s+am|i['’]m)\s+(?:an?\s+|the\s+|your\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:language\s+model|llm|ai\s+model|ai\s+assistant|ai|chatbot|virtual\s+assistant)(?![\w-])"
    r"|(?<![\w-])my\s+(?:developers|creators|training\s+data|knowledge\s+cutoff)(?![\w-])"
    r"|(?:我是|作为|身为)(?:一[个款种])?[^。，！？,.!?]{0,8}?"
    r"(?:人工智能|AI|语言模型|大模型|智能助手|聊天机器人)"
    r"|我的(?:开发者|训练数据|知识截止)"
)


def identity_hints(text: str) -> list[str]:
    """Self-introductions that name nobody ("As an AI language model"): worth a human look."""
    return [match.group(0) for match in _HINTS.finditer(text)]
