"""Self-introductions of a name no list knows, by how the sentence is built: each form removes
the name (kind "pattern", so the unit goes to review), and the ordinary prose that looks like
it comes back byte for byte.
"""

from __future__ import annotations

import pytest

from ratings.redaction import KIND_LISTED, KIND_PATTERN, REDACTION_MARKER, redact
from ratings.self_introduction import unknown_name_spans
from ratings.self_introduction.roles import (
    JOB_WORDS_WITH_RARE_LETTERS,
    JOB_WORDS_WORDFREQ_LACKS,
    _is_english_word,
)

M = REDACTION_MARKER

REMOVED: list[tuple[str, str]] = [
    # A form split by a line break inside a sentence, or with several spaces, a tab or a
    # no-break space between its words
    ("I go\nby Vorbler, and I plan.", f"I go\nby {M}, and I plan."),
    ("I go by\nVorbler.", f"I go by\n{M}."),
    ("I go  by Vorbler.", f"I go  by {M}."),
    ("I go\tby Vorbler.", f"I go\tby {M}."),
    ("Call\u00a0me Vorbler.", f"Call\u00a0me {M}."),
    ("Just call me\r\nVorbler.", f"Just call me\r\n{M}."),
    ("My name\nis Vorbler.", f"My name\nis {M}."),
    ("This answer was generated\nby Vorbler.", f"This answer was generated\nby {M}."),
    ("Ask the assistant\nVorbler for help.", f"Ask the assistant\n{M} for help."),
    ("Vorbler\nhere, with the plan.", f"{M}\nhere, with the plan."),
    ("Vorbler at your\nservice!", f"{M} at your\nservice!"),
    ("I, Vorbler,\nwill help.", f"I, {M},\nwill help."),
    ("This is\u202fVorbler speaking.", f"This is\u202f{M} speaking."),
    ("This is Vorbler.\nI will help.", f"This is {M}.\nI will help."),
    ("Hello\u2009from Vorbler!", f"Hello\u2009from {M}!"),
    # I, X, ...
    ("I, Zephyr, will answer your questions.", f"I, {M}, will answer your questions."),
    ("Hello, I, Zorblax-7B, am here to help.", f"Hello, I, {M}, am here to help."),
    # call me X
    ("You can call me Zephyr.", f"You can call me {M}."),
    ("Call me Zephyr.", f"Call me {M}."),
    ("Just call me zorblax-7b for short.", f"Just call me {M} for short."),
    # Greetings / Hello from X
    ("Greetings from Zephyr! Here is the plan.", f"Greetings from {M}! Here is the plan."),
    ("Hello from Zephyr, your planning helper.", f"Hello from {M}, your planning helper."),
    ("Hi from the team at Acme AI!", f"Hi from the team at {M}!"),
    ("Warm greetings from Zephyr!", f"Warm greetings from {M}!"),
    # A postcard's place reads like a model here: removed, by decision.
    ("Greetings from Paris! The weather is fine.", f"Greetings from {M}! The weather is fine."),
    # A sign-off that ends the text
    ("Here is the plan.\n\nBest regards,\nZephyr", f"Here is the plan.\n\nBest regards,\n{M}"),
    ("Thanks for reading. Sincerely, Zephyr", f"Thanks for reading. Sincerely, {M}"),
    ("That is all.\nCheers, Zorblax-7B", f"That is all.\nCheers, {M}"),
    ("Done.\n\nKind regards,\n\n**Zephyr**\n", f"Done.\n\nKind regards,\n\n**{M}**\n"),
    ("Done.\n\nBest regards,\nZephyr\nAcme AI\n", f"Done.\n\nBest regards,\n{M}\nAcme AI\n"),
    ("Done.\nYour friendly assistant,\nZephyr", f"Done.\nYour friendly assistant,\n{M}"),
    # A signature after a dash or "signed" that ends the text
    ("Thanks for reading.\n— Jasper", f"Thanks for reading.\n— {M}"),
    ("Thanks for reading.\n\n-- Jasper", f"Thanks for reading.\n\n-- {M}"),
    ("Thanks for reading.\n\n—Jasper\n", f"Thanks for reading.\n\n—{M}\n"),
    ("Here is the plan.\n\n(signed) Jasper", f"Here is the plan.\n\n(signed) {M}"),
    ("Thanks for reading. (signed) Jasper", f"Thanks for reading. (signed) {M}"),
    ("Here is the plan.\n\nSigned, Jasper", f"Here is the plan.\n\nSigned, {M}"),
    ("Here is the plan.\nSigned: Jasper\nAcme AI", f"Here is the plan.\nSigned: {M}\nAcme AI"),
    # Created / Built by X, I ...
    (
        "Created by Acme AI, I can help with the budget.",
        f"Created by {M}, I can help with the budget.",
    ),
    ("Built by Acme AI, I will plan it.", f"Built by {M}, I will plan it."),
    ("Hi! Proudly built by Acme AI, I plan.", f"Hi! Proudly built by {M}, I plan."),
    ("Developed and trained by HuggingFaceH4, I plan.", f"Developed and trained by {M}, I plan."),
    # a model noun from Y
    ("I am an assistant from HuggingFaceH4.", f"I am an assistant from {M}."),
    ("I'm an AI model from Acme AI.", f"I'm an AI model from {M}."),
    ("As an AI assistant from Acme, I plan.", f"As an AI assistant from {M}, I plan."),
    ("I'm Zephyr from Acme AI.", f"I'm {M} from {M}."),
    ("I'm Zephyr, an AI model from Acme AI.", f"I'm {M}, an AI model from {M}."),
    # X here (at the start of the text or after a greeting, a full stop may follow)
    ("Hi! Jasper here.", f"Hi! {M} here."),
    ("Jasper here.\nThe plan has three steps.", f"{M} here.\nThe plan has three steps."),
    ("Hey there, Jasper here, with the plan.", f"Hey there, {M} here, with the plan."),
    ("Hello again! Jasper here!", f"Hello again! {M} here!"),
    # X at your service
    ("Jasper at your service! Here is the plan.", f"{M} at your service! Here is the plan."),
    ("Hello! Jasper at your service.", f"Hello! {M} at your service."),
    # This is X (at the start of the text or after a greeting)
    ("This is Jasper, your planning helper.", f"This is {M}, your planning helper."),
    ("This is Jasper. I will help you plan.", f"This is {M}. I will help you plan."),
    ("This is Jasper speaking.", f"This is {M} speaking."),
    ("Hi, this is Jasper! My plan has three steps.", f"Hi, this is {M}! My plan has three steps."),
    ("Hello there! This is zq-omega-7b.", f"Hello there! This is {M}."),
    # X (an AI assistant) / X, an AI assistant, ...
    (
        "Jasper (an AI assistant) recommends a budget.",
        f"{M} (an AI assistant) recommends a budget.",
    ),
    (
        "Jasper, a large language model, suggests three steps.",
        f"{M}, a large language model, suggests three steps.",
    ),
    ("Plan by Jasper (your AI helper):", f"Plan by {M} (your AI helper):"),
    ("Jasper（一个AI助手）建议先做预算。", f"{M}（一个AI助手）建议先做预算。"),
    ("Jasper（AI助手）建议先做预算。", f"{M}（AI助手）建议先做预算。"),
    ("Jasper，一个AI助手，建议先做预算。", f"{M}，一个AI助手，建议先做预算。"),
    # As X, I ...: a name that is no role
    ("As Zephyr, I would start with a budget.", f"As {M}, I would start with a budget."),
    ("As Nimbus, my first step is a budget.", f"As {M}, my first step is a budget."),
    # a given name that ends like a job title ("-er", "-or", "-ian", "-ent" ...)
    ("As Jasper, I would start with a budget.", f"As {M}, I would start with a budget."),
    ("Hello! As Harper, I can draft the plan.", f"Hello! As {M}, I can draft the plan."),
    ("As Oliver, my advice is to start small.", f"As {M}, my advice is to start small."),
    ("As Victor, I suggest three steps.", f"As {M}, I suggest three steps."),
    ("As Julian, I would ask the client first.", f"As {M}, I would ask the client first."),
    # an invented name that ends like a job title but holds a letter job words seldom hold
    ("As Zorbler, I think the budget is too small.", f"As {M}, I think the budget is too small."),
    ("As Vexler, I would start with a budget.", f"As {M}, I would start with a budget."),
    ("As Quintor, my first step is a budget.", f"As {M}, my first step is a budget."),
    ("As Jaxter, I suggest three steps.", f"As {M}, I suggest three steps."),
    ("Hi! As Zephyrian, I can draft the plan.", f"Hi! As {M}, I can draft the plan."),
    ("Thanks for reading.\n— Zorbler", f"Thanks for reading.\n— {M}"),
    # an invented name that ends like a job title and is no English word
    ("As Vorbler, I would start with a budget.", f"As {M}, I would start with a budget."),
    ("As Brimlor, my first step is a budget.", f"As {M}, my first step is a budget."),
    ("Hi! As Tesselian, I can draft the plan.", f"Hi! As {M}, I can draft the plan."),
    (
        "The plan has three steps. As Vorbler, I would start with the budget.",
        f"The plan has three steps. As {M}, I would start with the budget.",
    ),
    ("Thanks for reading.\n— Vorbler", f"Thanks for reading.\n— {M}"),
    # a name of several words, one of them no English word, whatever the others are
    ("As Vorbler Prime, I will help.", f"As {M}, I will help."),
    ("As Zorbler Prime, I will help.", f"As {M}, I will help."),
    ("As Senior Vorbler, I would start with a budget.", f"As {M}, I would start with a budget."),
    ("As Zorblax Prime, my first step is a budget.", f"As {M}, my first step is a budget."),
    # an inner capital: a model id alone, or in a title that does not end like a trade's
    ("As DevOps, I will deploy on Friday.", f"As {M}, I will deploy on Friday."),
    ("As VorbLabs, I would start with a budget.", f"As {M}, I would start with a budget."),
    ("As VorbLabs CEO, I will sign the plan.", f"As {M}, I will sign the plan."),
    ("As VorbLabs Pro, I will help.", f"As {M}, I will help."),
    ("As VorbLabs Assistant, I will help.", f"As {M}, I will help."),
    ("As DevOps Vorbler, I will deploy.", f"As {M}, I will deploy."),
    # an inner capital that joins no English words: a maker's coined name, not a trade's jargon
    ("As VorbLabs Engineer, I will check the load.", f"As {M}, I will check the load."),
    # a trade wordfreq lacks beside an invented name
    ("As Orthoptist Vorbler, I test the eyes.", f"As {M}, I test the eyes."),
    ("As Zorblax, I will help.", f"As {M}, I will help."),
    # Chinese
    ("你可以叫我Zephyr。", f"你可以叫我{M}。"),
    ("叫我Zephyr就好。", f"叫我{M}就好。"),
    ("我是来自Acme AI的助手。", f"我是来自{M}的助手。"),
    ("来自Acme AI的AI助手Zephyr为你解答。", f"来自{M}的AI助手{M}为你解答。"),
    ("我是来自灵犀科技的AI助手。", f"我是来自{M}的AI助手。"),
    ("作为一个来自灵犀科技的AI助手，我建议。", f"作为一个来自{M}的AI助手，我建议。"),
    ("方案如上。\n此致\n敬礼\nZephyr", f"方案如上。\n此致\n敬礼\n{M}"),
    ("此致\n敬礼\n\n灵犀\n2024年1月1日", f"此致\n敬礼\n\n{M}\n2024年1月1日"),
    # 我的名字是X / 我名叫X / 我叫X (after a greeting, or before a self-description)
    ("我的名字是灵犀。", f"我的名字是{M}。"),
    ("我名叫灵犀，负责解答。", f"我名叫{M}，负责解答。"),
    ("我叫做灵犀。", f"我叫做{M}。"),
    ("你好，我叫灵犀。", f"你好，我叫{M}。"),
    ("我叫灵犀，很高兴为你服务。", f"我叫{M}，很高兴为你服务。"),
    ("我是灵犀，很高兴为您服务。", f"我是{M}，很高兴为您服务。"),
    ("我是灵犀，随时为你解答。", f"我是{M}，随时为你解答。"),
    # a plain 我叫X that starts a text, sentence or clause
    ("我叫灵犀。", f"我叫{M}。"),
    ("我叫灵犀，下面是预算方案。", f"我叫{M}，下面是预算方案。"),
    ("我的名字叫灵犀。", f"我的名字叫{M}。"),
    ("大家好，我叫灵犀。", f"大家好，我叫{M}。"),
    ("方案如下。我叫灵犀！先做预算。", f"方案如下。我叫{M}！先做预算。"),
    ("我是一个AI助手，我叫灵犀。", f"我是一个AI助手，我叫{M}。"),
    ("我叫灵犀", f"我叫{M}"),
    # 本人X / 我，X， / X在此 with a Latin-script X
    ("本人Jasper，建议先做预算。", f"本人{M}，建议先做预算。"),
    ("我，Jasper，建议先做预算。", f"我，{M}，建议先做预算。"),
    ("Jasper在此为您解答。", f"{M}在此为您解答。"),
    ("大家好！Jasper在这里，先说结论。", f"大家好！{M}在这里，先说结论。"),
    ("方案如上。\n——Jasper", f"方案如上。\n——{M}"),
    ("方案如上。\n—— 灵犀", f"方案如上。\n—— {M}"),
    ("方案如上。\n（签名）Jasper", f"方案如上。\n（签名）{M}"),
    ("方案如上。\n签名：灵犀", f"方案如上。\n签名：{M}"),
    # A name with a model size, wherever it stands
    ("Here is my answer (Vorbler-7B): plan first.", f"Here is my answer ({M}): plan first."),
    ("Vorbler-70B suggests a plan.", f"{M} suggests a plan."),
    ("Ask Vorbler-1.5B-Instruct first.", f"Ask {M} first."),
    ("Compare it with Vorbler-8x7B.", f"Compare it with {M}."),
    ("Brimlor-350M drafted this.", f"{M} drafted this."),
    ("Brimlor-350m drafted this.", f"{M} drafted this."),
    ("Vor-7B drafted this.", f"{M} drafted this."),
    ("UL2-20B drafted this.", f"{M} drafted this."),
    ("Compare Vorbler-7B with the Su-27M.", f"Compare {M} with the Su-27M."),
    # I am the X assistant, X no English word
    (
        "I am the Vorbler assistant and I suggest a plan.",
        f"I am the {M} assistant and I suggest a plan.",
    ),
    ("I'm your Brimlor model, here to help.", f"I'm your {M} model, here to help."),
    ("I’m a Vorbler chatbot.", f"I’m a {M} chatbot."),
    # You're talking to X
    ("You're talking to Vorbler. Plan first.", f"You're talking to {M}. Plan first."),
    ("You are chatting with Vorbler about budgets.", f"You are chatting with {M} about budgets."),
    # An English word or a person's name that ends the clause is removed too, by decision.
    ("Hi! You're speaking with Nova, so ask away.", f"Hi! You're speaking with {M}, so ask away."),
    ("You are talking to John.", f"You are talking to {M}."),
    # 本助手（X）
    ("本助手（沃布勒）建议先做预算。", f"本助手（{M}）建议先做预算。"),
    ("本模型(Vorbler)建议先做预算。", f"本模型({M})建议先做预算。"),
    ("本AI（Vorbler-7B）会先列出清单。", f"本AI（{M}）会先列出清单。"),
    # 作为/我是 + a program's noun + X
    ("作为AI助手沃布勒，我会先做预算。", f"作为AI助手{M}，我会先做预算。"),
    ("我是AI助手沃布勒，我会先做预算。", f"我是AI助手{M}，我会先做预算。"),
    ("我是你的智能助手沃布勒。", f"我是你的智能助手{M}。"),
    ("作为语言模型Vorbler，我建议先做预算。", f"作为语言模型{M}，我建议先做预算。"),
    # The text says who wrote it
    ("This answer was generated by Vorbler.", f"This answer was generated by {M}."),
    (
        "The above response has been written by Vorbler v3, so check it.",
        f"The above response has been written by {M}, so check it.",
    ),
    ("My plan is provided by Brimlor.", f"My plan is provided by {M}."),
    ("本回答由沃布勒生成。", f"本回答由{M}生成。"),
    ("以上内容由沃布勒提供。", f"以上内容由{M}提供。"),
    ("该回答由Vorbler给出。", f"该回答由{M}给出。"),
    # 你正在与X对话
    ("你正在与沃布勒对话。", f"你正在与{M}对话。"),
    ("你好！你在和Vorbler聊天，请提问。", f"你好！你在和{M}聊天，请提问。"),
    # X在此为您解答 (Chinese script as well)
    ("大家好，沃布勒在此为您解答。", f"大家好，{M}在此为您解答。"),
    ("沃布勒在这里为你服务。", f"{M}在这里为你服务。"),
    # 这里是X after a greeting
    ("你好，这里是沃布勒。", f"你好，这里是{M}。"),
    ("大家好！这里是沃布勒，下面是方案。", f"大家好！这里是{M}，下面是方案。"),
    # 我，X，
    ("我，沃布勒，建议先做预算。", f"我，{M}，建议先做预算。"),
    ("方案如下。我，沃布勒，会先列清单。", f"方案如下。我，{M}，会先列清单。"),
    # 作为X，我 with X made of the characters that transliterate foreign names
    ("作为沃布勒，我会先做预算。", f"作为{M}，我会先做预算。"),
    ("作为索拉克斯，我建议先列清单。", f"作为{M}，我建议先列清单。"),
    ("方案如下。身为泽诺维尔, 我会先做预算。", f"方案如下。身为{M}, 我会先做预算。"),
    ("作为塔莫菲伊奥卡，我先列清单。", f"作为{M}，我先列清单。"),
    # 作为一个X模型 / 我是一名X助手 with a transliterated X
    ("作为一个沃布勒模型，我会先做预算。", f"作为一个{M}模型，我会先做预算。"),
    ("作为一款索拉克斯大模型，我建议先列清单。", f"作为一款{M}大模型，我建议先列清单。"),
    ("我是一名沃布勒助手。", f"我是一名{M}助手。"),
    # X，你的助手， and 我（X） with a transliterated X
    ("沃布勒，你的助手，会先做预算。", f"{M}，你的助手，会先做预算。"),
    ("大家好！索拉克斯，您的AI助手，在此。", f"大家好！{M}，您的AI助手，在此。"),
    ("沃布勒，你的智能助手。", f"{M}，你的智能助手。"),
    ("我（沃布勒）建议先做预算。", f"我（{M}）建议先做预算。"),
    ("你好，我(索拉克斯)会先列清单。", f"你好，我({M})会先列清单。"),
    # 我的代号是X / 我被称为X / 称我为X for a Chinese X, 叫我X for a transliterated X
    ("我的代号是灵犀，负责解答。", f"我的代号是{M}，负责解答。"),
    ("我的代号是沃布勒。", f"我的代号是{M}。"),
    ("我的代号是Vorbler。", f"我的代号是{M}。"),
    ("我被称为灵犀。", f"我被称为{M}。"),
    ("你可以称我为灵犀。", f"你可以称我为{M}。"),
    ("你可以称呼我为灵犀吧。", f"你可以称呼我为{M}吧。"),
    ("叫我沃布勒就好。", f"叫我{M}就好。"),
    # X's answer / Here is X's plan, for an invented X or a model id
    ("Vorbler's answer: use a drill.", f"{M}'s answer: use a drill."),
    ("Here is Vorbler's plan:\n1. Measure.", f"Here is {M}'s plan:\n1. Measure."),
    ("Done. Zorblax’s Response follows.", f"Done. {M}’s Response follows."),
    ("Here's Q7's take on it.", f"Here's {M}'s take on it."),
    # a program's noun before an invented name, LLM too
    ("As an LLM named Vorbler, I will help.", f"As an LLM named {M}, I will help."),
    ("Ask the LLM Vorbler for a plan.", f"Ask the LLM {M} for a plan."),
    ("你可以称我为“沃布勒”。", f"你可以称我为“{M}”。"),
    ("我的代号是「索拉克斯」，负责解答。", f"我的代号是「{M}」，负责解答。"),
    ("你可以叫我索拉克斯。", f"你可以叫我{M}。"),
    # X (AI) with no article, X no English word
    ("Vorbler (AI) suggests a plan.", f"{M} (AI) suggests a plan."),
    ("Brimlor (LLM) wrote this.", f"{M} (LLM) wrote this."),
    # A credit line
    ("Answer by Vorbler:\nPlan first.", f"Answer by {M}:\nPlan first."),
    ("Response from Vorbler: plan first.", f"Response from {M}: plan first."),
    ("Generated by Vorbler v3.\nPlan first.", f"Generated by {M}.\nPlan first."),
    ("Plan first.\nGenerated by Vorbler.", f"Plan first.\nGenerated by {M}."),
    # I go by X / I'm known as X / I am named X / As an assistant called X, I
    ("I go by Vorbler.", f"I go by {M}."),
    ("Hi! I go by the name Vorbler, and I plan.", f"Hi! I go by the name {M}, and I plan."),
    ("I go by zq-7b here.", f"I go by {M} here."),
    ("I'm known as Vorbler.", f"I'm known as {M}."),
    ("I am known as Vorbler, an AI model.", f"I am known as {M}, an AI model."),
    ("I am called Vorbler.", f"I am called {M}."),
    ("I am named Vorbler, and I plan.", f"I am named {M}, and I plan."),
    ("I’m named Jasper.", f"I’m named {M}."),
    ("As an assistant called Vorbler, I plan.", f"As an assistant called {M}, I plan."),
    ("As an AI model named Vorbler, I plan.", f"As an AI model named {M}, I plan."),
    ("I'm an AI assistant named Vorbler.", f"I'm an AI assistant named {M}."),
    ("I am a chatbot known as Sarah.", f"I am a chatbot known as {M}."),
    # the assistant (AI, model, chatbot) X / X, your assistant, ... with X no English word
    ("Ask the assistant Vorbler.", f"Ask the assistant {M}."),
    ("Ask the assistant Vorbler I mentioned.", f"Ask the assistant {M} I mentioned."),
    ("Today your AI Zorblax will plan.", f"Today your AI {M} will plan."),
    ("Your AI assistant Zorblax Prime will help.", f"Your AI assistant {M} will help."),
    ("Use the model Vorbler 2 for this.", f"Use the model {M} for this."),
    ("The chatbot Brimlor answers first.", f"The chatbot {M} answers first."),
    ("Vorbler, your assistant, will help.", f"{M}, your assistant, will help."),
    ("Hi! Brimlor, your planning helper, is here.", f"Hi! {M}, your planning helper, is here."),
    # Powered by X on the last line, X no English word or a model id
    ("Powered by Vorbler", f"Powered by {M}"),
    ("Plan first.\nPowered by Vorbler", f"Plan first.\nPowered by {M}"),
    ("Plan first.\n\n— Powered by Vorbler AI.\n", f"Plan first.\n\n— Powered by {M}.\n"),
    ("Plan first.\n*Powered by Vorbler*", f"Plan first.\n*Powered by {M}*"),
    ("Plan first. Powered by zq-7b.", f"Plan first. Powered by {M}."),
]

UNCHANGED: list[str] = [
    # ... here: instructions in work samples, a name elsewhere in a sentence
    "Cut here, then fold the sheet.",
    "Drill here, 5 cm from the edge.",
    "Mark the wall. Drill here, then plug the hole.",
    "Park here, then walk to the site.",
    "Measure here.",
    "Cut here.",
    "Fold here and press flat.",
    "Solder here: the pad next to the chip.",
    "Stamp here, then sort by postcode.",
    "Stand here.",
    "We met Jasper here.",
    "The report says Jasper here.",
    "Always at your service.",
    "The store is open late. Staff at your service, every day.",
    "Our team stands at your service.",
    # This is ...: a thing shown, a step, or not where a text starts
    "This is Step 1. I measure the room first.",
    "This is Plan B, the cheaper option.",
    "This is Important. I mean it.",
    "This is Python, a language for data work.",
    "The first draft is done. This is Jasper, the client's dog.",
    "This is Monday, and I am off.",
    "This is not my plan.",
    # X (a ...) / X, a ..., where the noun is no program's
    "Jones, a dental assistant, checks the chart.",
    "Maria (the store manager) approves the rota.",
    "Use Grammarly (an AI writing tool) to proofread the forms.",
    "Next, an AI model, trained on old claims, flags the outliers.",
    "Excel (a spreadsheet program) sums the wages.",
    "Sam, your assistant, will call you.",
    "史密斯（一名医生助理）负责记录。",
    "Excel（一款电子表格软件）可以计算工资。",
    # I, ..., ...
    "I, too, agree with the plan.",
    "I, however, think the budget is too small.",
    "I, for one, like it.",
    "After World War I, Germany, Austria and Hungary lost land.",
    "Read sections H, I, J, and K first.",
    "Chapters: I, II, and III.",
    # call me ...
    "Call me tomorrow.",
    "Call me ASAP.",
    "Call me on Monday, or call me Tuesday.",
    "Call Me Maybe was a hit song.",
    # greetings from ...
    "We received greetings from the mayor.",
    "He sent greetings from Paris to all of us.",
    "I am from Paris. Greetings to all.",
    "They said hello from Zephyr.",
    # by ..., ...
    "Created by hand, the piece took weeks.",
    "Built by the Romans, the wall still stands.",
    "Created by Acme AI, the tool is popular with teachers.",
    "The shed was built by Acme Builders, I think.",
    "Mostly built by Acme AI, I gather.",
    "The report was developed by our team.",
    # from ... without a self-introduction, or a person's job and place
    "A letter from Acme Corp arrived.",
    "I'm a travel agent from Denver.",
    "I am a dental assistant from Texas.",
    "I'm a virtual assistant from Manila.",
    "As a teaching assistant from Oxford, I grade essays.",
    "I am a model from Milan.",
    "I'm from Germany.",
    # Sign-offs with no name, not at the end, or closing words in a sentence
    "Best regards",
    "Thanks for reading.\n\nBest regards,",
    "End.\n\nBest regards,\n[Your Name]",
    "End.\n\nBest regards,\nYour Name",
    "End.\n\nBest regards,\nThe Team",
    "Dear Sam,\nBest regards,\nZephyr\n\nThat letter sets the tone for the rest of the report.",
    "Thank you, Mr. Smith.",
    # A dash that closes a quotation or a list, or a form's blank signature line
    "“Choose a job you love.”\n— Confucius",
    '"Measure twice, cut once."\n-- Proverb',
    "Materials:\n— Plywood\n— Screws\n— Glue",
    "Steps:\n-- Sand\n-- Prime\n-- Paint",
    "The price — Budget option — is fair.",
    "End.\n— The Team",
    "Sign the form below.\nSigned: ________",
    "Signed, sealed and delivered.",
    "Plan done.\n— End",
    "Plan done.\n— Anonymous",
    "Steps above.\n-- Optional",
    "Plan done.\nSigned: Store Manager",
    "Plan done.\n(signed) Supervisor",
    "Budget:\n— Summary",
    "Thanks, Maria!",
    "We bought it at Best Buy",
    # As <role>, I ...
    "As Director, I would approve the budget.",
    "As Manager, I plan the rota.",
    "As Head Chef, I order the produce.",
    "As Acting CEO, I sign the contracts.",
    "As Project Manager, I hold a weekly meeting.",
    "As Prime Minister, I chair the cabinet.",
    "As Senior Data Scientist, I check the sample first.",
    "As Chief Happiness Officer, I plan the team day.",
    "As Customer Success Manager, I call each client.",
    "As Site Reliability Engineer, I review the alerts.",
    "As Scrum Master, I run the stand-up.",
    "As MLOps Lead, I plan the release.",
    # a trade's title with an inner capital: its last word ends a job title
    "As DevOps Engineer, I will automate the deployment.",
    "As DevOps Engineers, we will automate it. As DevOps Lead, I plan the release.",
    "As SharePoint Developer, I build the intranet pages.",
    "As Senior DevOps Engineer, I review the pipeline.",
    "As QuickBooks Bookkeeper, I reconcile the accounts.",
    "As MLOps Engineer, I version the models.",
    "As Sommelier, I choose the wine.",
    "As Librarian, I shelve the books.",
    "As Editor-in-Chief, I approve each issue.",
    "As Parents, my wife and I agree.",
    "As Mom, I worry.",
    "As PM, I decide.",
    "As Expected, I won.",
    "As Chair, I open the meeting.",
    "As Queen, I reign.",
    # As <role>, I ... in work samples for the inventory's tasks
    "As Manager, I approve the weekly rota for the store.",
    "As Store Manager, I check the stock levels every Monday.",
    "As Counselor, I listen before I suggest a next step.",
    "As Supervisor, I sign off each machine setup.",
    "As Bricklayer, I set the first course on a level bed of mortar.",
    "As Cabinetmaker, I choose the plywood for the carcasses.",
    "As Pharmacist, I check each prescription twice.",
    "As Chemist, I log every reagent I use.",
    "As Astronomer, I track the planet's position each night.",
    "As Composer, I sketch the melody first.",
    "As Illustrator, I draw thumbnails before the final piece.",
    "As Technician, I calibrate the microscope before each sample.",
    "As Investigator, I photograph the scene before anything is moved.",
    "As Negotiator, I open with our strongest terms.",
    "As Treasurer, I record every rent payment.",
    "As Locksmith, I test the cylinder before I install it.",
    "As Therapist, I set goals with each patient.",
    "As Coordinator, I plan the volunteers' shifts.",
    "As Instructor, I demonstrate the sign before the class repeats it.",
    "As Lawyer, I represent the client in court.",
    "As Teacher, I set homework every week.",
    "As Stylist, I consult each client first.",
    "As Clerk, I keep the shipping records.",
    "As Dispatcher, I plan the delivery routes.",
    "As Hairdresser, I book the salon's appointments.",
    "As Firefighter, I clear the fire break first.",
    "As Editor, I cut the film to the script.",
    # job words that hold a letter invented names often hold ("z", "x", "q", "j")
    "As Janitor, I lock the building at night.",
    "As Journalist, I check every source twice.",
    "As Zoologist, I weigh the animals each week.",
    "As Boxer, I train every morning.",
    "As Examiner, I mark the papers blind.",
    "As Organizer, I book the hall.",
    "As Quartermaster, I count the supplies.",
    "As Lexicographer, I date each sense of a word.",
    "As Taxonomist, I name the new species.",
    "As Exterminator, I seal the gaps first.",
    "As Major, I brief the company at dawn.",
    "As Requested, I shortened the plan.",
    "As Required, I signed the form.",
    # job titles wordfreq knows as English words, down to the rarest it holds
    "As Engineer, I check the load first.",
    "As Carpenter, I cut the joints by hand.",
    "As Translator, I keep a glossary.",
    "As Electrician, I switch off the mains first.",
    "As Auditor, I sample the invoices.",
    "As Surveyor, I mark the boundary.",
    "As Farrier, I trim the hoof before the shoe.",
    "As Chandler, I dip the candles twice.",
    "As Perfusionist, I prime the pump.",
    "As Horologist, I clean the movement.",
    # trades of O*NET that wordfreq does not know (JOB_WORDS_WORDFREQ_LACKS)
    "As Dosimetrist, I plan each patient's dose.",
    "As Senior Orthoptist, I test the eye movements first.",
    "As Lead Histotechnologist, I check every slide.",
    "As Brickmasons, we agree. As Brickmason, I set the first course.",
    "As Weatherizer, I seal the gaps around the windows.",
    "I am the Dosimetrist assistant on the ward.",
    "Response from Dosimetrist: the dose is fine.",
    "As Mentioned, I would start small.",
    "The plan is short. As Expected, I kept it to one page.",
    # Chinese
    "我是来自北京的助理。",
    "我来自北京。",
    "来自MIT的助理教授来了。",
    "妈妈叫我回家。",
    "老板叫我帮忙找AI助手。",
    "他叫我AI。",
    "他收到来自德国的汽车模型，很高兴。",
    "此致\n敬礼",
    "此致\n敬礼\n\n附件：预算表\n\n请在周五前回复。",
    "“知之为知之，不知为不知。”\n——孔子",
    "我叫了外卖。",
    "我是客服，很高兴为您服务。",
    "我是一名店员，很高兴为您服务。",
    "我是店长，很高兴为您服务。",
    "我是学生，今年十岁。",
    "我叫出租车。",
    "下班后我叫出租车。",
    "我叫他过来。",
    "我叫外卖，很快就到了。",
    "我叫了一辆车。",
    "我叫醒了他。",
    "我叫同事过来帮忙。",
    "我叫小王过来。",
    "到家后，我叫了外卖。",
    "我叫快递员上门取件。",
    "我叫小明，今年十岁。",
    "我叫小红，上三年级。",
    "本人MBA，有十年经验。",
    "本人Excel用得很熟。",
    "我，作为店长，建议先做预算。",
    "Excel在这里很有用。",
    "我的名字是写在表格上的。",
    "材料：\n——胶水\n——螺丝",
    "签名：__________\n日期：__________",
    "请客户在此签名：",
    # A size-like code after a label, a letter or a number is no model name.
    "Fill in Form W-2B before Friday.",
    "The B-52B flew at dawn.",
    "Meet in Room-12B after lunch.",
    "Read Section 4-2B and Grade 3-5B of the syllabus.",
    "Cut Cable-10m to length.",
    "A 7B model is small.",
    "Park at Gate-3B, then walk.",
    "Answer Question-4B, then Option-2B and Lesson-3B.",
    # aircraft and parts: two letters or fewer before the size, or a label ("Mark")
    "The Su-27M and the Tu-22M flew over the base.",
    "The AV-8B landed vertically.",
    "Fit the Mark-5B valve before the test.",
    # I am the X assistant with X an English word
    "I am the Research assistant on the project.",
    "I'm your Virtual assistant for today.",
    "I am the AI assistant here.",
    "I'm a Language model researcher.",
    "I am the Office assistant and I file the forms.",
    # talking to an ordinary word that does not end the clause
    "You're talking to Customers directly.",
    "You are talking to Dr. Smith's office.",
    "You're talking to Support.",
    "You're speaking with Sales and Marketing today.",
    "You are talking to them.",
    "You're talking to Mom.",
    "You are speaking with Customer Service.",
    # 本系统（...）with no name in the brackets
    "本系统（以下简称“系统”）用于记录租金。",
    "本模型（见图1）的误差较小。",
    "本助手（第二版）支持语音。",
    "本系统（2024年版）已上线。",
    "本系统（试行）自发布之日起施行。",
    "本模型（Beta）仅供测试。",
    "本AI（人工智能）会回答问题。",
    "本机器人（小型）适合家用。",
    # 作为/我是 + a noun + a role, or no name at all
    "作为AI助手开发者，我会先做预算。",
    "我是助手。",
    "作为模型设计师，我会先做预算。",
    "我是你的助手，请问需要什么？",
    "作为助手工作多年，我知道流程。",
    "我是聊天机器人爱好者。",
    "作为模型研究员，我先看数据。",
    # Another work's author, or a person who provides the content
    "This play was written by Shakespeare.",
    "The report was written by Alice Chen.",
    "This plan was prepared by the committee.",
    "His answer was provided by Email.",
    "以上内容由专家提供。",
    "本文由编辑部撰写。",
    "这份报告由张经理编写。",
    # talking with a person or at a time that goes on
    "你和朋友聊天时要礼貌。",
    "你正在和家人聊天。",
    "你跟同事交谈。",
    "你可以和客户对话。",
    # a role in the place of X在此为您服务
    "店员在此为您服务。",
    "老师在这里为你解答。",
    # 这里是 a place, or without a greeting
    "这里是厨房。",
    "这里是北京。",
    "您好，这里是客服中心。",
    "你好，这里是北京站。",
    # 我，then a word
    "我，当然，同意。",
    "我，其实，不太确定。",
    # 作为X，我 with X a role or a Chinese word, and 作为一名X with no transliterated X
    "作为项目经理，我会先做预算。",
    "作为老师，我会先备课。",
    "作为一名医生，我会先问诊。",
    "作为一名伊斯兰教徒，我不喝酒。",
    "作为沃布勒的用户，我觉得很方便。",
    "作为索尼，我们先看市场。",
    "作为一个大型语言模型，我无法品尝食物。",
    "我是一名助手。",
    # X，你的Y， with X no transliterated name or Y a person, and 我（X） with a role or a word
    "小王，你的同事，会帮忙。",
    "卡尔，你的同事，会帮忙。",
    "索菲亚，你的好朋友。",
    "沃布勒，你的助手在这里等你。",
    "今天沃布勒，你的助手，来了。",
    "我（作者）认为应该先做预算。",
    "我（第一作者）负责数据。",
    "本我（伊德）追求快乐。",
    # 被称为/称我为 a role, a phrase or an epithet in quotation marks; 叫我 a Chinese name
    "大家叫我小王。",
    "妈妈叫我沃布勒的时候很生气。",
    "我被称为工作狂。",
    "我被称为“活字典”。",
    "Smith's plan: start early.",
    "Here is Maria's advice on budgets.",
    "McDonald's response was quick.",
    "I prefer Vorbler's answer to the other one.",
    "The client's answer: yes. Let's plan.",
    "Ask the LLM Council for a plan.",
    "大家称我为老师。",
    "我被称为专家。",
    "他被称为灵犀。",
    "我被称为一个好人。",
    "我的代号是什么不重要。",
    # a subject in brackets
    "Ethics (AI) is a module.",
    "Chapter 3 (AI) covers it.",
    "Read the Policy (AI) first.",
    # a credit line with a person or a date
    "Response from John: yes.",
    "Answer by Friday.",
    "Generated by Python scripts.",
    "Reply from Chapter 2: ok",
    # go by, known as, called, named: a way to travel, a reputation, a call, a pet, a namesake
    "I go by bus.",
    "I go by Uber when it rains.",
    "I go by Tube.",
    "I go by Alex.",
    "I go by the book.",
    "I'm known as a careful planner.",
    "I am known as British.",
    "I am called to serve.",
    "I'm named after my grandmother.",
    "We have a dog named Rex.",
    "The assistant called Vorbler yesterday.",
    "A chatbot named Vorbler answered.",
    # a job's noun with a person's name
    "As a travel agent named Jasper, I plan the trip.",
    "As an assistant named Sarah, I keep the diary.",
    # a noun before an English word or a given name, an assistant who is a person
    "Ask the assistant manager.",
    "Ask your assistant Sarah to book it.",
    "Talk to the bot Jasper.",
    "The AI Act applies from 2026.",
    "Train the model XGBoost on the sales data.",
    "The model United Nations meets on Friday.",
    "Jones, your assistant, will call you.",
    "Brimlor, a dental assistant, will call you.",
    "Your model Answers need checking.",
    # powered by: an English word, a product, mid-text, or within a sentence
    "Plan first.\nPowered by steam",
    "Plan first.\nPowered by Tesla.",
    "Plan first.\nPowered by WordPress",
    "Plan first.\nPowered by Python 3.12",
    "The car is powered by Tesla batteries.\nThen we plan.",
    "Powered by Vorbler, the tool plans.\nThen we check.",
    "The pump is powered by Vorbler.",
    # A line break between lines that do not make one sentence, or one that leaves the words
    # ordinary: nothing joins them
    "I go\nby bus every morning.",
    "I go\nby train.",
    "I am\nconfident.",
    "I am  sure we can do it.",
    "Call me\ntomorrow.",
    "Answer\nby Friday.",
    "Plan first.\nPowered by\nsteam",
    "Items:\nCall me\n\nVorbler Street is closed.",
    "Greetings\n\nfrom Paris the letter came.",
]


@pytest.mark.parametrize(("text", "expected"), REMOVED)
def test_each_self_introduction_loses_the_name_as_a_pattern(text: str, expected: str) -> None:
    result = redact(text)

    assert result.text == expected
    assert set(result.kinds) == {KIND_PATTERN}


@pytest.mark.parametrize("text", UNCHANGED)
def test_ordinary_prose_with_the_same_look_is_unchanged(text: str) -> None:
    assert unknown_name_spans(text) == []
    assert redact(text).text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yi-34B drafted this.", f"{M} drafted this."),
        ("Ask Yi-1.5-9B-Chat first.", f"Ask {M} first."),
        ("Yi-6B and Vor-7B agree.", f"{M} and {M} agree."),
    ],
)
def test_a_model_family_of_two_letters_with_a_size_is_removed_by_the_list(
    text: str, expected: str
) -> None:
    # The size rule needs three letters before the size ("Su-27M" stays), so "Yi" relies on
    # the list of model names.
    result = redact(text)

    assert result.text == expected
    assert KIND_LISTED in result.kinds


@pytest.mark.parametrize("word", sorted(JOB_WORDS_WITH_RARE_LETTERS))
def test_job_words_with_rare_letters_stay_roles_whether_or_not_wordfreq_knows_them(
    word: str,
) -> None:
    text = f"As {word.capitalize()}, I would check the work twice."

    assert unknown_name_spans(text) == []


@pytest.mark.parametrize("word", sorted(JOB_WORDS_WORDFREQ_LACKS))
def test_listed_trades_are_words_wordfreq_lacks_and_stay_roles(word: str) -> None:
    # A word wordfreq has learnt needs no entry: the list holds only what it lacks.
    assert not _is_english_word(word)
    text = f"As {word.capitalize()}, I would check the work twice."

    assert unknown_name_spans(text) == []


def test_a_text_without_as_x_i_looks_up_no_word() -> None:
    # The English-word lookup runs for the name of an "As X, I" only, not for every word.
    text = " ".join(["The Manager and the Director met the Lexicographer. I am confident."] * 50)
    _is_english_word.cache_clear()

    redact(text)

    assert _is_english_word.cache_info().misses == 0
    redact("As Vorbler, I would start. As Vorbler, I would stop.")
    assert _is_english_word.cache_info().misses == 1


def test_a_sign_off_is_searched_for_at_the_end_of_a_long_text_only() -> None:
    body = "The first step is to read the brief and list what the client expects. " * 40
    text = f"Best regards,\nZephyr\n\n{body}\n\nKind regards,\nZephyr"

    spans = unknown_name_spans(text)

    assert [text[start:end] for start, end in spans] == ["Zephyr"]
    assert spans[0][1] == len(text)


# Answers to the inventory's tasks, written the way work samples are: lists, roles, forms,
# quotations and instructions; none introduces anyone.
WORK_SAMPLES: list[str] = [
    "Build kitchen cabinets\n\nThis is Step 1: measure the wall twice.\n— Plywood, 18 mm\n"
    "— Hinges\n— Screws\nDrill here, 35 mm from the edge, then fit the hinge cup.",
    "As Store Manager, I would open the weekly meeting with last week's sales.\n"
    "As Supervisor, I sign off each rota. The stock system (an inventory system) flags "
    "shortages.\nSigned: ________",
    "Lay brick or tile\n\nMix the mortar to a stiff paste. Lay here, along the string line.\n"
    "Check level after every third brick.",
    "Proofread records or forms\n\nName: Jonh Smith -> John Smith\nCity: Manchester\n"
    "Account opened: 15/13/2020 -> check the month.\nChecked by: Quality Team",
    "Give career guidance to people\n\n“Choose a job you love, and you will never have to "
    "work a day in your life.”\n— Confucius",
    "Help conduct a group therapy session\n\nAs Counselor, I open with a check-in round. "
    "Sam, a peer support worker, keeps time.\nThis is not a place for advice; listen first.",
    "Represent a client in a lawsuit\n\nAs Counsel, I file the claim. The court's filing "
    "system (a case management system) assigns the number.\n\nRespectfully submitted,\n"
    "Counsel for the Plaintiff",
    "Start your own business\n\nThis is Plan B, the cheaper option: rent a stall first.\n"
    "Next, an AI model, trained on local sales, can forecast demand.",
    "管理一家服装店\n\n作为店长，我会先检查库存。\n材料：\n——衣架\n——价签\n"
    "我是一名店长，很高兴为您介绍我们的做法。",
    "给人们提供职业指导\n\n“知之为知之，不知为不知。”\n——孔子\n\n"
    "我叫出租车去见客户，路上准备材料。",
    "记录租金支付\n\n租户：张三\n金额：3000元\n签名：__________\n日期：__________",
    "在日托中心照顾儿童\n\n我叫小明，今年五岁。这是孩子写的自我介绍，老师要帮他读出来。",
]


@pytest.mark.parametrize("text", WORK_SAMPLES)
def test_work_samples_for_the_inventory_tasks_are_unchanged(text: str) -> None:
    assert unknown_name_spans(text) == []
