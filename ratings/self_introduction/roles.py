"""Whether a word is a job or an invented name: the lists of job words, the given names that end
like job titles, the trades wordfreq lacks, and the judgements built on them and on `wordfreq`'s
English list ("As Director, I" is a role; "As Vorbler, I" names the speaker)."""

from __future__ import annotations

import functools
import re

from ratings.self_introduction.ordinary_words import (
    ORDINARY_BEFORE_HERE_FOLDED,
    ORDINARY_CAPITALS_FOLDED,
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
# Occupations of O*NET that wordfreq's English list does not hold (_is_english_word): without
# this list "As Dosimetrist, I" would read as an invented name. A word here is a role wherever a
# word is judged a role or an invented name; tests check that wordfreq still lacks each one, so
# a word it learns leaves the list.
JOB_WORDS_WORDFREQ_LACKS = frozenset(
    [
        "abstractor",
        "blockmason",
        "brickmason",
        "captioner",
        "coremaker",
        "cytotechnologist",
        "dosimetrist",
        "drywaller",
        "echocardiographer",
        "electrologist",
        "ergonomist",
        "geodesist",
        "histotechnologist",
        "lineworker",
        "metrologist",
        "moldmaker",
        "orthoptist",
        "pedicurist",
        "pedorthist",
        "photogrammetrist",
        "pipelayer",
        "psychometrist",
        "rodbuster",
        "solderer",
        "steamfitter",
        "stenocaptioner",
        "tilesetter",
        "weatherizer",
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
# Words of ROLE_WORDS that qualify a title or name a program rather than end a trade's title:
# "VorbLabs Prime", "VorbLabs Pro" and "VorbLabs Assistant" read as products, not trades.
_NOT_LAST_IN_A_TRADE_TITLE = frozenset(
    ["acting", "interim", "senior", "junior", "prime", "vice", "global", "regional", "product"]
    + ["program", "programme", "project", "team", "staff", "field", "creative", "pro", "usual"]
    + ["such", "well", "ever", "before", "follows", "general", "assistant", "associate"]
)
# The parts of a word with inner capitals: "DevOps" is "Dev", "Ops"; "MLOps" is "ML", "Ops".
_CAMEL_PIECE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
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


def _titles_an_invented_name(name: str) -> bool:
    """Whether the first word of name is a capitalised word no English list knows ("Vorbler",
    not "Sarah", "Manager" or "XGBoost", whose inner capital marks a library)."""
    first = re.split(r"[\s.-]", name, maxsplit=1)[0]
    return (
        first.isalpha()
        and first[:1].isupper()
        and first[1:].islower()
        and first.casefold() not in ORDINARY_CAPITALS_FOLDED
        and not _is_english_word(first.casefold())
    )


def _has_a_word_no_english_list_knows(name: str) -> bool:
    """Whether a word of name holds a digit or an inner capital, or is no English word (nor a
    trade's: JOB_WORDS_WORDFREQ_LACKS)."""
    return any(
        _MODEL_SHAPE.search(word) or not _is_english_or_trade_word(word.casefold())
        for word in re.split(r"[\s.-]+", name)
        if word
    )


@functools.lru_cache(maxsize=4096)
def _is_english_word(folded: str) -> bool:
    """Whether wordfreq knows folded as an English word.

    Imported here, not at the top: importing wordfreq (~0.3 s) and its first lookup, which loads
    the word list (~0.2 s), are paid once per process and only by a process that meets an
    "As X, I" whose X ends like a job title; wordfreq keeps the list loaded, and this cache
    answers a word it has seen without tokenising it again. "I am the X assistant", "You're
    talking to X", a name with a model size in lower-case metres, "X (AI)" with no article, a
    credit line ("Answer by X:"), "I go by X", "the assistant X", "X, your assistant," and
    "Powered by X" ask it too, for their X only.
    """
    from wordfreq import zipf_frequency

    return zipf_frequency(folded, "en") >= ENGLISH_WORD_MIN_ZIPF


def _is_english_or_trade_word(folded: str) -> bool:
    """Whether folded is an English word (_is_english_word) or a trade's that wordfreq lacks."""
    return folded in JOB_WORDS_WORDFREQ_LACKS or _is_english_word(folded)


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
            if form in JOB_WORDS_WORDFREQ_LACKS:
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


def _trade_title(name: str) -> bool:
    """Whether an X of several words with an inner capital ("DevOps Engineer") is a trade's
    title, so that "DevOps" is the jargon of the trade and not a model's id: no digit, and a
    last word that ends a job title, spelt as a word ("Engineer", "Lead", "Administrator"). A
    lone "DevOps", or a last word that is an acronym ("VorbLabs CEO"), a qualifier or a
    program's noun ("VorbLabs Prime", "VorbLabs Pro", "VorbLabs Assistant"), an ordinary
    capital ("VorbLabs American"), a participle ("VorbLabs Advanced") or no role ("DevOps
    Vorbler") keeps the shape of a name, and so does an inner capital that joins no English
    words ("VorbLabs Engineer")."""
    words = name.split()
    if len(words) < 2 or any(char.isdigit() for char in name):
        return False
    # The jargon of trades joins English words ("Dev" + "Ops", "Share" + "Point"); a maker's
    # coined name does not ("Vorb" + "Labs"), so "As VorbLabs Engineer, I" loses it.
    for word in words[:-1]:
        pieces = _CAMEL_PIECE.findall(word) if _MODEL_SHAPE.search(word) else []
        if not all(_is_english_word(piece.casefold()) for piece in pieces):
            return False
    last = words[-1]
    if not (last.isalpha() and last[0].isupper() and last[1:].islower()):
        return False
    folded = last.casefold()
    singular = folded[:-1] if folded.endswith("s") else folded
    if {folded, singular} & (_NOT_LAST_IN_A_TRADE_TITLE | ORDINARY_CAPITALS_FOLDED):
        return False
    if singular in ROLE_WORDS or singular in JOB_WORDS_WORDFREQ_LACKS:
        return True
    return singular.endswith(_AGENT_ENDINGS) and _is_role(last)


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
    if folded in JOB_WORDS_WITH_RARE_LETTERS or folded in JOB_WORDS_WORDFREQ_LACKS:
        return False
    if folded.endswith(_AGENT_ENDINGS) and _RARE_IN_JOB_WORDS.search(folded):
        return True
    return not _is_english_word(folded)
