"""Writes models/data/train_dialogs.jsonl: multi-turn training dialogs combined from the hand-written
pieces in pieces.py by a seeded random walk over turn types, each turn labelled by the multi_turn rules of
shared/spec/intents.json and the conventions in models/data/README.md. Deterministic for a given seed.

Usage (from the repository root):
    python3 models/data/tools/gen_train_dialogs.py [--seed 20261125] [--count 640] [--out models/data/train_dialogs.jsonl]
It prints the turn-type counts to stdout.
"""
import argparse
import collections
import json
import os
import random
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pieces as P  # noqa: E402

POLICY = list(P.SWITCH)  # the 20 intents that become a conversation's topic
AUDIENCE_MARKERS = {
    "campus": r"校招|应届|毕业生|秋招|春招|\d+届",
    "experienced": r"社招|跳槽|社会招聘|工作经验|工作[0-9一二三四五六七八九十]+年",
    "intern": r"实习",
}
POLITE = ["请问", "想问下", "麻烦问一下,", "hi 想问下 ", "打扰一下 ", "问下 ", "您好 请问", "咨询一下 "]
TYPOS = {"年假": "年价", "试用期": "使用期", "公积金": "公基金", "病假": "病价", "五险一金": "5险1金",
         "工资": "工姿", "面试": "面是", "入职": "入值", "婚假": "昏假", "补贴": "补帖", "远程": "远城"}
TYPES = ["fresh", "topic_switch", "audience_switch", "continuation", "same_topic_word", "clarification",
         "greeting", "thanks", "out_of_scope", "human_agent", "combo_thanks_switch"]


def audience_of(text):
    found = [a for a, rx in AUDIENCE_MARKERS.items() if re.search(rx, text)]
    if len(found) > 1:
        raise ValueError("names two audiences: " + text)
    return found[0] if found else None


def vary(rng, text, polite=False):
    """Light surface variation: a polite prefix, a typo, a question mark."""
    if polite and rng.random() < 0.15:
        text = rng.choice(POLITE) + text
    if rng.random() < 0.08:
        keys = [k for k in TYPOS if k in text]
        if keys:
            k = rng.choice(keys)
            text = text.replace(k, TYPOS[k], 1)
    if text[-1] not in "?？吗呢~!😭🙏" and rng.random() < 0.2:
        text += rng.choice(["?", "？", "?", "～"])
    return text


class Walk:
    def __init__(self, rng):
        self.rng = rng
        self.topic = None
        self.audience = None
        self.turns = []
        self.types = []
        self.used = set()

    def pick(self, pool):
        options = [t for t in pool if t not in self.used] or pool
        text = self.rng.choice(options)
        self.used.add(text)
        return text

    def add(self, kind, text, intent, audience):
        self.turns.append({"text": text, "intent": intent, "audience": audience})
        self.types.append(kind)

    def last(self):
        return self.types[-1] if self.types else None

    # --- turn types -------------------------------------------------------------------------------
    def fresh(self, intent=None):
        rng = self.rng
        if intent is None:
            intent = rng.choice(POLICY) if rng.random() < 0.9 else rng.choice(["human_agent", "out_of_scope"])
        text = self.pick(P.FRESH[intent])
        named = audience_of(text)
        if intent in POLICY:
            text = vary(rng, text, polite=True)
        self.audience = named or self.audience
        if intent in POLICY:
            self.topic = intent
        kind = "fresh" if intent in POLICY else intent
        self.add(kind, text, intent, self.audience)

    def topic_switch(self, prefix=None):
        intent = self.rng.choice([i for i in POLICY if i != self.topic])
        text = vary(self.rng, self.pick(P.SWITCH[intent]))
        if prefix:
            text = prefix + text
        self.audience = audience_of(text) or self.audience
        self.topic = intent
        self.add("combo_thanks_switch" if prefix else "topic_switch", text, intent, self.audience)

    def audience_switch(self):
        choices = [a for a in P.AUDIENCE_SWITCH if a != self.audience]
        audience = self.rng.choice(choices)
        text = self.pick(P.AUDIENCE_SWITCH[audience])
        if self.last() in ("thanks", "greeting") and self.rng.random() < 0.5:
            text = self.rng.choice(["对了 ", "还有 ", "哦对 "]) + text
        self.audience = audience
        self.add("audience_switch", text, self.topic, self.audience)

    def continuation(self):
        text = self.pick(P.CONTINUATION[self.topic])
        if self.last() in ("thanks", "greeting"):
            text = self.rng.choice(["对了 ", "还有个问题 ", "哦还有 ", "再问下 "]) + text
        elif self.rng.random() < 0.2:
            text = self.rng.choice(["那", "那么", "那请问", "嗯 "]) + text
        self.add("continuation", vary(self.rng, text), self.topic, self.audience)

    def same_topic_word(self):
        text = self.pick(P.SAME_TOPIC_WORD[self.topic])
        if self.rng.random() < 0.2:
            text = self.rng.choice(["那", "还有 ", "另外 "]) + text
        self.add("same_topic_word", vary(self.rng, text), self.topic, self.audience)

    def clarification(self):
        self.add("clarification", self.pick(P.CLARIFY), self.topic, self.audience)

    def greeting(self, opener=True):
        r = self.rng.random()
        if opener and r < 0.25:
            text = self.pick(P.GREETING_WITH_AUDIENCE)
            self.audience = audience_of(text)
        elif opener and r < 0.4:
            text = self.pick(P.VAGUE_OPENERS)
        else:
            text = self.pick(P.GREETING)
        self.add("greeting", text, "greeting", self.audience)

    def thanks(self, end=False):
        self.add("thanks", self.pick(P.THANKS_END if end else P.THANKS_MID), "thanks_bye", self.audience)

    def side(self, intent):
        self.add(intent, vary(self.rng, self.pick(P.FRESH[intent])), intent, self.audience)


def dialog(rng):
    w = Walk(rng)
    length = rng.choices([2, 3, 4, 5, 6], weights=[20, 30, 25, 15, 10])[0]
    r = rng.random()
    if r < 0.22:
        w.greeting()
    else:
        w.fresh()
    while len(w.turns) < length:
        if len(w.turns) == length - 1 and length >= 3 and rng.random() < 0.3:
            w.thanks(end=True)
            break
        last = w.last()
        options = {"fresh": 8, "out_of_scope": 4, "human_agent": 3}
        if w.topic is not None:
            options.update({"topic_switch": 18, "combo_thanks_switch": 5})
            if last not in ("out_of_scope", "human_agent"):
                options.update({"continuation": 18, "same_topic_word": 9})
                if w.topic != "intern_conversion":
                    options["audience_switch"] = 13
                if last not in ("thanks", "greeting", "clarification"):
                    options.update({"clarification": 7, "thanks": 7})
            if last not in ("greeting", "thanks"):
                options["greeting"] = 1
        else:
            options["fresh"] = 40
        kind = rng.choices(list(options), weights=list(options.values()))[0]
        if kind == "fresh":
            w.fresh(rng.choice(POLICY))
        elif kind == "topic_switch":
            w.topic_switch()
        elif kind == "combo_thanks_switch":
            w.topic_switch(prefix=rng.choice(P.COMBO_PREFIX))
        elif kind == "audience_switch":
            w.audience_switch()
        elif kind == "continuation":
            w.continuation()
        elif kind == "same_topic_word":
            w.same_topic_word()
        elif kind == "clarification":
            w.clarification()
        elif kind == "thanks":
            w.thanks()
        elif kind == "greeting":
            w.greeting(opener=False)
        else:
            w.side(kind)
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--count", type=int, default=640)
    ap.add_argument("--out", default="models/data/train_dialogs.jsonl")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    seen = set()
    dialogs = []
    types = collections.Counter()
    while len(dialogs) < args.count:
        w = dialog(rng)
        key = tuple(t["text"] for t in w.turns)
        if len(w.turns) < 2 or key in seen:
            continue
        seen.add(key)
        dialogs.append(w)
        types.update(w.types)
    with open(args.out, "w", encoding="utf-8") as out:
        for n, w in enumerate(dialogs, 1):
            out.write(json.dumps({"id": "t%04d" % n, "turns": w.turns}, ensure_ascii=False) + "\n")
    intents = collections.Counter(t["intent"] for w in dialogs for t in w.turns)
    audiences = collections.Counter(t["audience"] for w in dialogs for t in w.turns)
    print("dialogs=%d turns=%d" % (len(dialogs), sum(len(w.turns) for w in dialogs)))
    print("turn types: " + ", ".join("%s=%d" % (k, types[k]) for k in TYPES))
    print("intents: " + ", ".join("%s=%d" % kv for kv in sorted(intents.items())))
    print("audiences: " + ", ".join("%s=%d" % (k, v) for k, v in audiences.most_common()))


if __name__ == "__main__":
    main()
