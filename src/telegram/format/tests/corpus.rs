//! Replies in the shapes LLMs really produce, including the awkward ones: every prefix of each
//! must render to valid Telegram HTML.

pub(super) const REPLIES: [&str; 16] = [
    // 0: a coach answer with headings, lists and nested emphasis.
    "## Why you keep revenge trading\n\nAfter a loss, your brain wants to **win it back *right now***. \
That urge is the tilt.\n\n### What to do instead\n\n1. **Stop** for 15 minutes.\n2. Write down the \
loss in your journal — *amount, setup, emotion*.\n3. Size down: risk **0.5%** instead of 1%.\n\n\
- Never average down on a losing alt\n- ~~Trade the news~~ wait for the retest\n  - nested: check \
the 4h close\n\n> The market will be there tomorrow. Your account might not.\n\nYou've got this 💪",
    // 1: code with a language, indentation and HTML-looking content.
    "Here is a position-size calculator:\n\n```python\ndef position_size(balance, risk_pct, entry, stop):\n    \
risk = balance * risk_pct / 100\n    if entry <= stop:\n        raise ValueError(\"stop must be < entry\")\n    \
return risk / (entry - stop)\n\nprint(position_size(10_000, 1, 2.5, 2.3))  # -> 500.0\n```\n\n\
Call it with `balance=10_000` and `risk_pct=1` — it returns **500** units.",
    // 2: links with parentheses, ampersands, disallowed schemes and autolinks.
    "Read [the Wikipedia page](https://en.wikipedia.org/wiki/Kelly_criterion_(finance)) and \
[this query](https://example.com/search?q=risk&lang=en&x=\"1\").\nDon't click \
[this](javascript:alert(1)). Docs: <https://docs.gopluslabs.io/reference> or https://t.me/tiltguard_bot.\n\
Mail [support](mailto:help@example.com) or open [the bot](tg://resolve?domain=tiltguard_bot).",
    // 3: HTML and entities that must be escaped.
    "Never paste <script>alert('x')</script> into a bot. AT&T and P&G are stocks; \
&amp; is an entity; 5 < 7 > 3.\n\n`<b>not bold</b>` and **<i>bold angle</i>**",
    // 4: snake_case, math and lone markers that are not emphasis.
    "Use the `max_drawdown_pct` setting: my_var_name stays as is. 2*3*4 = 24 and 2 * 3 = 6.\n\
The spread is ~0.5% and a * b * c is fine. Price_target_1 and __init__ methods. 10*20 is 200.",
    // 5: CJK and emoji, including astral ones and ZWJ sequences.
    "## 交易心理 🧠\n\n**注意：**不要追高。这是**重要**的规则。\n\n- 止损 🛑 必须设置\n- 仓位 \
≤ 2%\n\n家族 👨‍👩‍👧‍👦 and flags 🇺🇸🇯🇵 and skin tones 👍🏽. 日本語のテキストも大丈夫です。",
    // 6: a table.
    "| Coin | Entry | Stop | R:R |\n|------|------:|:----:|-----|\n| **BTC** | 64,000 | 62,500 | 1:3 |\n\
| ETH | 3,100 | 2,950 | `1:2` |\n| SOL \\| alt | 140 | 131 | 1:2.5 |\n\nDon't risk more than 1% per row.",
    // 7: quotes with nesting and formatting inside.
    "> **Rule 1:** protect capital.\n> Rule 2: see rule 1.\n>\n>> nested quote becomes flat\n\n\
Normal text after the quote.\n> a second quote",
    // 8: a fence with tildes, one inside a list, and one with an odd info string.
    "Steps:\n\n1. Install:\n   ```bash\n   cargo install tiltguard\n   ```\n2. Run it:\n\n~~~\n\
tiltguard serve --port 8080 && echo \"ok\"\n~~~\n\n```rust title=\"main.rs\" {1,3}\nfn main() {\n    \
println!(\"<tilt>\");\n}\n```",
    // 9: unbalanced and tricky emphasis.
    "This is **bold with *italic* inside** and ***both*** and **unclosed bold\n\
*a **b** c* then `code with ** stars` and a lone ** in text.\n_underscored_ and __strong__ and \
**bold:**text and (**paren**).",
    // 10: headings of every level, rules and a closing-hashes heading.
    "# H1\n## H2 ##\n### H3 with `code`\n#### H4\n##### H5\n###### H6\n####### not a heading\n\
#hashtag not heading\n\n---\n\n***\n\nText after rules.",
    // 11: a long unordered list with task boxes and numbers with parentheses.
    "Checklist:\n- [ ] set stop\n- [x] size checked\n- [X] journal\n* star item\n+ plus item\n1) first\n\
2) second\n10. tenth\n\n2024. was a year.",
    // 12: escapes and backslashes.
    "Escaped \\*not italic\\* and \\_no\\_ and a backslash \\ alone and \\`tick\\`.\n\
Path C:\\Users\\trader\\notes.txt",
    // 13: a long single paragraph, then an unterminated fence (common when cut off).
    "Risk management is the difference between a trader and a gambler. Every position needs a \
stop, every stop needs a reason, and every reason needs to be written down before the entry. \
If you cannot write it down, you do not have a trade; you have a hope.\n\n```js\n\
const risk = balance * 0.01;\nif (risk > max) { alert(\"<too much>\"); }\n",
    // 14: links whose labels hold formatting and code, and brackets that are not links.
    "See [**the guide**](https://example.com/a_b_c) and [`code label`](https://x.io) and \
[1] footnote, [not a link] (here), and [nested [brackets]](https://n.io/(x)).\n\
[empty]() and [](https://nolabel.io) and [a](<https://angle.io/x y>).",
    // 15: CRLF line endings and trailing spaces.
    "Line one  \r\nLine **two**\r\n\r\n- item\r\n```\r\nraw <code>\r\n```\r\n",
];
