//! What the server rejects: malformed HTML, texts over 4096 UTF-16 units after parsing, empty
//! texts, edits that change nothing, edits of missing or foreign messages, bad keyboards.

mod telegram_support;

use serde_json::json;
use telegram_support::{Api, ann_chat, start};
use tiltguard_sim::FloodLimits;

async fn setup() -> (tiltguard_sim::TelegramSim, Api, i64) {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    (sim, api, chat.id)
}

#[tokio::test]
async fn malformed_html_is_rejected_with_telegrams_wording() {
    let (sim, api, chat) = setup().await;
    let cases = [
        (
            "Risk: <foo>high</foo>",
            "Bad Request: can't parse entities: Unsupported start tag \"foo\" at byte offset 6",
        ),
        (
            "<b>never closed",
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        ),
        (
            "<b><i>x</b></i>",
            "Bad Request: can't parse entities: Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\"",
        ),
        (
            "PnL < 0",
            "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 4",
        ),
        (
            "Buy & hold",
            "Bad Request: can't parse entities: Unescaped \"&\" at byte offset 4",
        ),
        (
            "<span>secret</span>",
            "Bad Request: can't parse entities: Tag \"span\" must have class \"tg-spoiler\" at byte offset 0",
        ),
    ];
    for (html, expected) in cases {
        let (status, body) = api.send_html(chat, html).await;
        assert_eq!(status, 400, "{html}");
        assert_eq!(body["description"], json!(expected), "{html}");
    }
    assert!(sim.bot_messages(chat).is_empty());
}

#[tokio::test]
async fn the_same_text_without_parse_mode_is_fine() {
    let (sim, api, chat) = setup().await;
    let (status, _) = api.send(chat, "PnL < 0 & <foo>").await;
    assert_eq!(status, 200);
    assert_eq!(sim.bot_messages(chat)[0].text, "PnL < 0 & <foo>");
}

#[tokio::test]
async fn length_is_counted_in_utf16_units_after_parsing() {
    let (_sim, api, chat) = setup().await;
    let (status, _) = api.send(chat, &"a".repeat(4096)).await;
    assert_eq!(status, 200);
    let (status, body) = api.send(chat, &"a".repeat(4097)).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        json!("Bad Request: message is too long")
    );

    // 2048 astral emoji are 4096 UTF-16 units; one more is too long at only 2049 characters.
    let (status, _) = api.send(chat, &"🚀".repeat(2048)).await;
    assert_eq!(status, 200);
    let (status, body) = api.send(chat, &format!("{}a", "🚀".repeat(2048))).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        json!("Bad Request: message is too long")
    );

    // Markup doesn't count: 4096 visible characters wrapped in tags and escapes pass.
    let html = format!("<b>{}</b>", "&lt;".repeat(4096));
    let (status, body) = api.send_html(chat, &html).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn empty_and_whitespace_texts_are_rejected() {
    let (_sim, api, chat) = setup().await;
    for text in ["", "   \n\t", "<b> </b>"] {
        let (status, body) = api.send_html(chat, text).await;
        assert_eq!(status, 400, "{text:?}");
        assert_eq!(
            body["description"],
            json!("Bad Request: message text is empty")
        );
    }
    let description = api
        .fails("sendMessage", json!({"chat_id": chat}), 400)
        .await;
    assert_eq!(description, "Bad Request: message text is empty");
}

#[tokio::test]
async fn texts_are_trimmed_like_telegram_does() {
    let (sim, api, chat) = setup().await;
    let message = api
        .ok(
            "sendMessage",
            json!({"chat_id": chat, "text": "\n  <b>hi</b>  ", "parse_mode": "HTML"}),
        )
        .await;
    assert_eq!(message["text"], json!("hi"));
    assert_eq!(
        message["entities"],
        json!([{"type": "bold", "offset": 0, "length": 2}])
    );
    assert_eq!(sim.bot_messages(chat)[0].text, "hi");
}

#[tokio::test]
async fn edits_apply_and_report_edit_date() {
    let (sim, api, chat) = setup().await;
    let sent = api
        .ok("sendMessage", json!({"chat_id": chat, "text": "Thinking"}))
        .await;
    let id = sent["message_id"].clone();
    let edited = api
        .ok(
            "editMessageText",
            json!({"chat_id": chat, "message_id": id, "text": "<i>Done</i>", "parse_mode": "HTML"}),
        )
        .await;
    assert_eq!(edited["text"], json!("Done"));
    assert!(edited["edit_date"].as_i64().is_some());
    let stored = &sim.bot_messages(chat)[0];
    assert_eq!((stored.text.as_str(), stored.edits), ("Done", 1));
}

#[tokio::test]
async fn edits_that_change_nothing_are_rejected() {
    let (sim, api, chat) = setup().await;
    let keyboard = json!({"inline_keyboard": [[{"text": "Stop", "callback_data": "stop"}]]});
    let sent = api
        .ok(
            "sendMessage",
            json!({"chat_id": chat, "text": "<b>Same</b>", "parse_mode": "HTML", "reply_markup": keyboard}),
        )
        .await;
    let id = sent["message_id"].clone();
    let not_modified = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

    // Different markup, same text + entities + keyboard: still not modified.
    let same = json!({"chat_id": chat, "message_id": id, "text": "<strong>Same</strong> ",
                      "parse_mode": "HTML", "reply_markup": keyboard});
    assert_eq!(api.fails("editMessageText", same, 400).await, not_modified);
    let same_keyboard = json!({"chat_id": chat, "message_id": id, "reply_markup": keyboard});
    assert_eq!(
        api.fails("editMessageReplyMarkup", same_keyboard, 400)
            .await,
        not_modified
    );

    // Dropping the keyboard is a change: an edit without reply_markup removes it.
    let edited = api
        .ok(
            "editMessageText",
            json!({"chat_id": chat, "message_id": id, "text": "<b>Same</b>", "parse_mode": "HTML"}),
        )
        .await;
    assert!(edited.get("reply_markup").is_none());
    // Losing the bold is a change too.
    api.ok(
        "editMessageText",
        json!({"chat_id": chat, "message_id": id, "text": "Same"}),
    )
    .await;
    assert_eq!(sim.bot_messages(chat)[0].edits, 2);
}

#[tokio::test]
async fn edits_need_an_existing_bot_message_and_a_valid_length() {
    let (sim, api, chat) = setup().await;
    let missing = json!({"chat_id": chat, "message_id": 999, "text": "x"});
    assert_eq!(
        api.fails("editMessageText", missing, 400).await,
        "Bad Request: message to edit not found"
    );
    let users_message = json!({"chat_id": chat, "message_id": 1, "text": "x"});
    assert_eq!(
        api.fails("editMessageText", users_message, 400).await,
        "Bad Request: message can't be edited"
    );
    let sent = api
        .ok("sendMessage", json!({"chat_id": chat, "text": "short"}))
        .await;
    let id = sent["message_id"].clone();
    let too_long = json!({"chat_id": chat, "message_id": id, "text": "😀".repeat(2049)});
    assert_eq!(
        api.fails("editMessageText", too_long, 400).await,
        "Bad Request: MESSAGE_TOO_LONG"
    );
    let empty = json!({"chat_id": chat, "message_id": id, "text": " "});
    assert_eq!(
        api.fails("editMessageText", empty, 400).await,
        "Bad Request: message text is empty"
    );
    let bad_html = json!({"chat_id": chat, "message_id": id, "text": "<b>x", "parse_mode": "HTML"});
    assert!(
        api.fails("editMessageText", bad_html, 400)
            .await
            .starts_with("Bad Request: can't parse entities: ")
    );
    assert_eq!(sim.bot_messages(chat)[0].text, "short");
}

#[tokio::test]
async fn keyboards_are_validated() {
    let (_sim, api, chat) = setup().await;
    let text_only = json!({"chat_id": chat, "text": "x",
                           "reply_markup": {"inline_keyboard": [[{"text": "Nothing"}]]}});
    assert_eq!(
        api.fails("sendMessage", text_only, 400).await,
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
    );
    let long_data = json!({"chat_id": chat, "text": "x",
        "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "d".repeat(65)}]]}});
    assert_eq!(
        api.fails("sendMessage", long_data, 400).await,
        "Bad Request: BUTTON_DATA_INVALID"
    );
    let not_json = json!({"chat_id": chat, "text": "x", "reply_markup": "{oops"});
    assert_eq!(
        api.fails("sendMessage", not_json, 400).await,
        "Bad Request: can't parse reply_markup JSON object"
    );
}
