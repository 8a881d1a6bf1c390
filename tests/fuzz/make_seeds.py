#!/usr/bin/env python3
"""Writes the seed inputs the checked-in corpora were grown from (a developer's tool; CI never runs it).

    tests/fuzz/make_seeds.py build/release/pipeline/gongshi OUT_DIR

OUT_DIR/<target>/ gets small hand-written inputs, generated records (`gongshi generate --count 50
--seed 1`, UTF-8 and GB18030, with a fixed --today so the seeds do not change with the date), the
fixtures of tests/fixtures, and adversarial free text for the scanner; OUT_DIR/<target>.dict the
tokens for libFuzzer's -dict= (checked in as tests/fuzz/dict/<target>.dict). The corpora were
then made like this, per target T (B = build/fuzz/tests/fuzz/T):
    B -dict=tests/fuzz/dict/T.dict -max_total_time=600 SCRATCH OUT_DIR/T   # a scratch dir first
    B -merge=1 tests/fuzz/corpus/T OUT_DIR/T                    # the seeds that add features
    B -merge=1 -use_counters=0 tests/fuzz/corpus/T SCRATCH      # found inputs with new edges only
and for validator_fuzz the hand-written one-field changes (validator_seeds without generated
lines) were added back whole: a decision in the future adds no coverage over other rejects, but
is what tells a validator that stopped checking the date.
"""

import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
TODAY = "2026-11-30"  # validator_fuzz's kToday

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(first17):
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS))
    return first17 + "10X98765432"[total % 11]


def luhn_complete(prefix):
    for d in "0123456789":
        s = prefix + d
        total = 0
        for i, c in enumerate(reversed(s)):
            v = int(c)
            if i % 2 == 1:
                v = v * 2 - 9 if v * 2 > 9 else v * 2
            total += v
        if total % 10 == 0:
            return s
    raise AssertionError


def full_width(s):
    out = []
    for c in s:
        if "0" <= c <= "9":
            out.append(chr(0xFF10 + ord(c) - ord("0")))
        elif c == "X":
            out.append("\uFF38")
        else:
            out.append(c)
    return "".join(out)


def grouped(digits, groups, sep):
    parts, at = [], 0
    for g in groups:
        parts.append(digits[at:at + g])
        at += g
    if at < len(digits):
        parts.append(digits[at:])
    return sep.join(p for p in parts if p)


SEPARATORS = ["", " ", "-", "\u3000", "\uFF0D", "\u00A0", "\u200B", "\u2060", "\uFEFF", "\u2014",
              "\u2013", "\u2010", ".", "\u00B7", "\u30FB", "\uFF0E", "/", "\\", "_", " - ", "--"]


def scanner_seeds():
    ids = [id_number("11010519491231002"), id_number("35010219900307123"),
           id_number("44010620000229001")]
    id15 = "110105491231002"
    mobiles = ["13812345678", "19912345678", "16611709294"]
    cards = [luhn_complete("622848001234567"), luhn_complete("62284800123456789"),
             luhn_complete("621700000000000000")]
    texts = []
    for sep in SEPARATORS:
        for i in ids:
            for groups in ([6, 8, 4], [6, 4, 4, 4], [4, 4, 4, 4, 2]):
                texts.append("身份证号码：" + grouped(i, groups, sep) + "。")
            texts.append("证件" + full_width(grouped(i, [6, 8, 4], sep)))
        texts.append("旧证" + grouped(id15, [6, 6, 3], sep))
        for m in mobiles:
            texts.append("联系电话" + grouped(m, [3, 4, 4], sep) + "，")
            texts.append("+86" + sep + grouped(m, [3, 4, 4], sep))
            texts.append("86" + grouped(m, [3, 4, 4], sep) + "x")
            texts.append(full_width(grouped(m, [3, 4, 4], sep)))
        for c in cards:
            texts.append("卡号" + grouped(c, [4, 4, 4, 4, 4], sep) + "，")
            texts.append(full_width(grouped(c, [4, 4, 4, 4, 4], sep)))
    texts += [
        ids[0][:-1] + "x", ids[0][:-1] + "\uFF38", "Tel13812345678", "13812345678x",
        "a@b.cn", "zhang.san+tag@mail.example.com.cn", "13812345678@163.com",
        "zhang＠example.com", "zhang(at)example.com", "zhang [at] example [dot] com",
        "a@b.cn_x@c.com", "u1@mail.cn6282458063662031", "z***@example.com", "138****5678",
        "35*************123", "************5671", "＊＊＊１３８１２３４５６７８", "1" * 64,
        "9" * 300, ("1234 " * 40).strip(), "-".join(["1234"] * 30), "2023-01-01 2023-12-31",
        "罚款1500元，没收违法所得3600元，货值金额12000元。", "〔2024〕123号",
        "１３８１２３４５６７８abc@x.com", "a" * 70 + "@example.com",
        "x@" + ".".join(["label"] * 60) + ".com", "@@@..@.@", "+86+86+8613812345678",
        "0086 138 1234 5678", "＋86-13812345678", "许可证编号6228480012345671", "注册号" + id15,
        "No.1" + ids[1], ids[1] + "13812345678", ids[1][:-1] + "ｘ", "2023.01.01-2028.12.31",
        "ｚｈａｎｇ１２３＠ｅｘａｍｐｌｅ．ｃｏｍ", "zhang#example.com", "zhang＃example.com",
        "zhang[at]example[dot]com", "zhang（at）example。com", "zhang【at】163.com",
        "abc@163.com13812345678", "138 1234 5678@163.com", "联系电话＊17612345678", "z***(at)163.com",
        "1３8１2３4５6７8", full_width("13812345678") + "12345", "１２３４5678９０１２3456",
    ]
    seeds = [t.encode("utf-8") for t in texts]
    # Invalid UTF-8 around digits: truncated, overlong, surrogates, stray continuation bytes.
    seeds += [b"\xEF\xBC" + b"13812345678", b"\xC0\xB1" * 11, b"\xED\xA0\x80138",
              b"13812345678\xFF", b"\x80\x80\xEF\xBC\x91\xEF\xBC", bytes(range(256))]
    return seeds


def generated(gongshi, encoding):
    args = [gongshi, "generate", "--count", "50", "--seed", "1", "--today", TODAY]
    if encoding:
        args += ["--encoding", encoding]
    return [line for line in subprocess.run(args, check=True, capture_output=True).stdout
            .split(b"\n") if line]


def free_text(lines):
    out = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        for value in record.values():
            if isinstance(value, str) and len(value.encode()) > 20:
                out.append(value.encode("utf-8"))
    return out


def json_seeds():
    penalty = open(os.path.join(FIXTURES, "penalty_valid.json"), "rb").read().strip()
    license_ = open(os.path.join(FIXTURES, "license_valid.json"), "rb").read().strip()
    seeds = [penalty, license_, penalty.decode().encode("gb18030"),
             license_.decode().encode("gb18030")]
    for name in ("penalty_batch.ndjson", "license_batch.ndjson"):
        path = os.path.join(FIXTURES, "csv", name)
        if os.path.exists(path):
            seeds += [line for line in open(path, "rb").read().split(b"\n") if line.strip()]
    seeds += [s.encode() for s in [
        "{}", "[]", "null", "\"s\"", "1", "{\"kind\":\"penalty\"}", "{\"kind\":\"license\"}",
        "{\"kind\":\"行政处罚\",\"行政相对人名称\":\"某公司\",\"CF_SY\":\"事实\"}",
        "{\"kind\":\"penalty\",\"remark\":\"x\",}", "{\"kind\":\"penalty\"} garbage",
        "{\"kind\":\"penalty\"}{\"kind\":\"penalty\"}", "{\"kind\":\"penalty\",\"kind\":\"license\"}",
        "{\"subject_name\":\"a\",\"XK_XDR_MC\":\"b\"}", "{\"remark\":\"a\\\"b\\u4e2d\\ud83d\\ude00\"}",
        "{\"remark\":\"\\ud800\"}", "{\"remark\":\"\\u0000\"}",
        "{\"kind\":\"penalty\",\"penalty_categories\":[\"罚款\",\"警告\"]}",
        "{\"kind\":\"penalty\",\"penalty_categories\":[[\"罚款\"]]}",
        "{\"kind\":\"penalty\",\"penalty_categories\":[1,2]}", "{\"kind\":\"penalty\",\"x\":{\"y\":{}}}",
        "{\"kind\":\"penalty\",\"fine_wan_yuan\":1e400}", "{\"kind\":\"penalty\",\"fine_wan_yuan\":-0.0}",
        "{\"kind\":\"penalty\",\"confidential\":true,\"status\":null}", "\ufeff{\"kind\":\"penalty\"}",
        "{\"kind\":\"penalty\",\"remark\":\"\u3000\"}", " \t\r\n{\"kind\" : \"penalty\" } \r\n",
    ]]
    seeds += [b"{\"a\":" * 40 + b"1" + b"}" * 40, b"[" * 2000 + b"]" * 2000,
              b"{\"kind\":\"penalty\",\"x\":" + b"[" * 600 + b"]" * 600 + b"}",
              b"{\"remark\":\"\xff\xfe\"}", b"{\"remark\":\"\xC0\xAF\"}", b"\x00", b"{\"\x81\x30\x81\x30\":1}"]
    return seeds


def validator_seeds(penalty_lines):
    base = json.loads(open(os.path.join(FIXTURES, "penalty_valid.json"), encoding="utf-8").read())
    changes = [
        ("uscc", "９１３５０１００ｍ０００１００ｙ４３"), ("uscc", "00000000000000000X"),
        ("penalty_categories", "罚款，没收违法所得、没收非法财物"),
        ("penalty_categories", "暂扣或者吊销许可证、暂扣或者吊销执照;罚款"), ("penalty_categories", "其他-通报"),
        ("decision_date", "2030-01-01"), ("decision_date", "2024-02-30"), ("penalty_valid_to", "2020-01-01"),
        ("fine_wan_yuan", "0.0000001"), ("fine_wan_yuan", "99999999"), ("fine_wan_yuan", " 3 "),
        ("subject_category", "自然人"), ("subject_id_no", id_number("11010519491231002")),
        ("subject_id_no", "110105491231002"), ("subject_id_no", "110105202612310021"),
        ("subject_name", "\u3000"), ("credit_repair_date", "2025-06-01"), ("org_code", "M000100Y4"),
    ]
    # Several fields at once: a decision in the future whose range is otherwise in order.
    changes.append({"decision_date": "2027-01-04", "penalty_valid_to": "2028-01-04",
                    "publish_until": "2030-01-04"})
    seeds = []
    for change in changes:
        record = dict(base)
        record.update(dict([change]) if isinstance(change, tuple) else change)
        seeds.append(json.dumps(record, ensure_ascii=False).encode("utf-8"))
    return seeds + penalty_lines


def dict_line(token):
    out = []
    for b in token.encode("utf-8"):
        out.append(chr(b) if 0x20 <= b < 0x7F and chr(b) not in '"\\' else "\\x%02X" % b)
    return '"' + "".join(out) + '"'


def schema_tokens():
    """Field names and aliases, kind values, enum values and their aliases, category terms."""
    tokens = set()
    for kind in ("penalty", "license"):
        schema = json.load(open(os.path.join(HERE, "..", "..", "schemas", f"{kind}.schema.json"),
                                encoding="utf-8"))
        tokens.update(str(v) for v in schema.get("x-gongshi-kind-values", []))
        for name, spec in schema["properties"].items():
            tokens.add(name)
            tokens.update(spec.get("x-gongshi-aliases", []))
            tokens.update(str(v) for v in spec.get("enum", []))
            tokens.update(str(v) for v in spec.get("items", {}).get("enum", []))
            tokens.update(spec.get("x-gongshi-enum-aliases", {}).keys())
            tokens.update(spec.get("x-gongshi-vocabulary", {}).keys())
    return tokens


def dictionaries():
    """libFuzzer dictionaries (-dict=): tokens the mutator should splice in whole."""
    scanner = set(SEPARATORS) | {"@", "＠", "(at)", "[at]", "（at）", "【at】", "#", "＃", ".", "．",
                                 "。", "(dot)", "[dot]", "*", "＊", "X", "x", "Ｘ", "ｘ", "+86", "0086",
                                 "＋86", "86", "许可证编号", "注册号", "身份证号码", "联系电话", ".com",
                                 ".cn", "qq.com", "163.com"}
    scanner |= {full_width(str(d)) for d in range(10)}
    json_tokens = {"{", "}", "[", "]", ":", ",", '"', "\\u", "\\\"", "\\n", "true", "false", "null",
                   "1e400", "-0", "0.000001", "\\ud800", "2024-05-10", "2024/05/10", "\u3000",
                   "、", "，", "；", "|"}
    return {"pii_scanner_fuzz": scanner - {""},
            "json_parser_fuzz": json_tokens | schema_tokens(),
            "validator_fuzz": json_tokens | schema_tokens()}


def write(out_dir, target, seeds):
    d = os.path.join(out_dir, target)
    os.makedirs(d, exist_ok=True)
    for s in seeds:
        with open(os.path.join(d, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)
    print(f"{target}: {len(seeds)} seeds in {d}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    gongshi, out_dir = sys.argv[1], sys.argv[2]
    utf8 = generated(gongshi, None)
    gb = generated(gongshi, "gb18030")
    write(out_dir, "pii_scanner_fuzz", scanner_seeds() + free_text(utf8))
    write(out_dir, "json_parser_fuzz", json_seeds() + utf8 + gb)
    write(out_dir, "validator_fuzz", validator_seeds(utf8) + json_seeds()[:4])
    for target, tokens in dictionaries().items():
        path = os.path.join(out_dir, f"{target}.dict")
        with open(path, "w", encoding="ascii") as f:
            f.write(f"# {target}: tokens for libFuzzer's -dict=, written by tests/fuzz/make_seeds.py\n")
            f.writelines(dict_line(t) + "\n" for t in sorted(tokens) if t)
        print(f"{target}: {len(tokens)} tokens in {path}")


if __name__ == "__main__":
    main()
