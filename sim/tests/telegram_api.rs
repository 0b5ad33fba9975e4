//! The Bot API surface of the simulator: auth, routing, body encodings, message objects,
//! replies, deletes, chat actions, callback answers, commands, blocked chats, injected 5xx.

mod telegram_support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use telegram_support::{Api, ann, ann_chat, bob, into_parts, start};
use tiltguard_sim::{FloodLimits, SimChat, SimEventKind};

#[tokio::test]
async fn wrong_token_is_unauthorized_and_unknown_methods_are_not_found() {
    let sim = start(FloodLimits::disabled()).await;
    let intruder = Api::with_token(&sim, "123456:WRONG");
    let (status, body) = intruder.call("getMe", json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"ok":false,"error_code":401,"description":"Unauthorized"})
    );

    let api = Api::new(&sim);
    let (status, body) = api.call("sendPigeon", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"ok":false,"error_code":404,"description":"Not Found"})
    );
    assert_eq!(sim.stats().status_401, 1);
    assert_eq!(sim.stats().status_404, 1);
}

#[tokio::test]
async fn get_me_describes_the_bot() {
    let sim = start(FloodLimits::disabled()).await;
    let me = Api::new(&sim).ok("getMe", json!({})).await;
    assert_eq!(me["id"], json!(123_456));
    assert_eq!(me["is_bot"], json!(true));
    assert_eq!(me["username"], json!("tiltguard_bot"));
    assert_eq!(me["can_join_groups"], json!(true));
    assert_eq!(me["has_main_web_app"], json!(false));
}

#[tokio::test]
async fn sent_messages_are_full_message_objects() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    let keyboard = json!({"inline_keyboard": [[{"text": "Stop", "callback_data": "stop"}]]});
    let message = api
        .ok(
            "sendMessage",
            json!({"chat_id": chat.id, "text": "<b>Calm</b> down", "parse_mode": "HTML",
                   "reply_markup": keyboard, "link_preview_options": {"is_disabled": true}}),
        )
        .await;
    assert_eq!(
        message["message_id"],
        json!(2),
        "Ann's /start was message 1"
    );
    assert_eq!(message["from"]["is_bot"], json!(true));
    assert_eq!(message["from"]["username"], json!("tiltguard_bot"));
    assert_eq!(
        message["chat"],
        json!({"id": 1001, "type": "private", "first_name": "Ann", "username": "ann_trades"})
    );
    assert!(
        message["date"]
            .as_i64()
            .is_some_and(|date| date > 1_700_000_000)
    );
    assert_eq!(message["text"], json!("Calm down"));
    assert_eq!(
        message["entities"],
        json!([{"type": "bold", "offset": 0, "length": 4}])
    );
    assert_eq!(message["reply_markup"], keyboard);
    assert!(message.get("edit_date").is_none());

    let stored = sim.bot_messages(chat.id);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].text, "Calm down");
    assert_eq!(stored[0].html.as_deref(), Some("<b>Calm</b> down"));
    assert_eq!(stored[0].reply_markup, Some(keyboard));
}

#[tokio::test]
async fn form_multipart_and_query_bodies_are_accepted() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    let markup = r#"{"inline_keyboard":[[{"text":"Go","callback_data":"go"}]]}"#;

    let chat_id = chat.id.to_string();
    let form = api
        .http()
        .post(api.url("sendMessage"))
        .form(&[
            ("chat_id", chat_id.as_str()),
            ("text", "via form"),
            ("reply_markup", markup),
        ])
        .send()
        .await;
    let (status, body) = into_parts(form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"],
        json!("Go")
    );

    let parts = reqwest::multipart::Form::new()
        .text("chat_id", chat_id.clone())
        .text("text", "<i>via multipart</i>")
        .text("parse_mode", "HTML");
    let multipart = api
        .http()
        .post(api.url("sendMessage"))
        .multipart(parts)
        .send()
        .await;
    let (status, body) = into_parts(multipart).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["entities"][0]["type"], json!("italic"));

    let query = api
        .http()
        .get(api.url("sendmessage"))
        .query(&[("chat_id", chat_id.as_str()), ("text", "via query")])
        .send()
        .await;
    let (status, body) = into_parts(query).await;
    assert_eq!(status, 200, "{body}");

    let texts: Vec<String> = sim
        .bot_messages(chat.id)
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, ["via form", "via multipart", "via query"]);
}

#[tokio::test]
async fn unknown_chats_and_blocked_users_are_refused() {
    let sim = start(FloodLimits::disabled()).await;
    let api = Api::new(&sim);
    let description = api
        .fails("sendMessage", json!({"chat_id": 777, "text": "hi"}), 400)
        .await;
    assert_eq!(description, "Bad Request: chat not found");
    let description = api
        .fails(
            "sendMessage",
            json!({"chat_id": "@nobody", "text": "hi"}),
            400,
        )
        .await;
    assert_eq!(description, "Bad Request: chat not found");

    let chat = ann_chat(&sim);
    sim.block_chat(chat.id);
    for (method, body) in [
        ("sendMessage", json!({"chat_id": chat.id, "text": "hi"})),
        (
            "sendChatAction",
            json!({"chat_id": chat.id, "action": "typing"}),
        ),
        (
            "sendMessageDraft",
            json!({"chat_id": chat.id, "draft_id": 1, "text": "x"}),
        ),
    ] {
        let description = api.fails(method, body, 403).await;
        assert_eq!(description, "Forbidden: bot was blocked by the user");
    }
    assert!(sim.bot_messages(chat.id).is_empty());
    assert_eq!(sim.stats().status_403, 3);
}

#[tokio::test]
async fn replies_embed_the_replied_message() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let question = sim.send_text(&chat, &ann(), "is this a rug?");
    let api = Api::new(&sim);
    let reply = api
        .ok(
            "sendMessage",
            json!({"chat_id": chat.id, "text": "checking", "reply_parameters": {"message_id": question}}),
        )
        .await;
    assert_eq!(reply["reply_to_message"]["message_id"], json!(question));
    assert_eq!(reply["reply_to_message"]["text"], json!("is this a rug?"));
    assert_eq!(sim.bot_messages(chat.id)[0].reply_to, Some(question));

    let description = api
        .fails(
            "sendMessage",
            json!({"chat_id": chat.id, "text": "x", "reply_parameters": {"message_id": 999}}),
            400,
        )
        .await;
    assert_eq!(description, "Bad Request: message to be replied not found");
    api.ok(
        "sendMessage",
        json!({"chat_id": chat.id, "text": "x",
               "reply_parameters": {"message_id": 999, "allow_sending_without_reply": true}}),
    )
    .await;
}

#[tokio::test]
async fn delete_removes_the_message_once() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    let sent = api
        .ok("sendMessage", json!({"chat_id": chat.id, "text": "oops"}))
        .await;
    let message_id = sent["message_id"].clone();
    let deleted = api
        .ok(
            "deleteMessage",
            json!({"chat_id": chat.id, "message_id": message_id}),
        )
        .await;
    assert_eq!(deleted, json!(true));
    assert!(sim.bot_messages(chat.id).is_empty());
    let description = api
        .fails(
            "deleteMessage",
            json!({"chat_id": chat.id, "message_id": message_id}),
            400,
        )
        .await;
    assert_eq!(description, "Bad Request: message to delete not found");

    let group = SimChat::group(-4001, "Degens");
    let user_message = sim.send_text(&group, &bob(), "gm");
    let description = api
        .fails(
            "deleteMessage",
            json!({"chat_id": group.id, "message_id": user_message}),
            400,
        )
        .await;
    assert_eq!(description, "Bad Request: message can't be deleted");
}

#[tokio::test]
async fn chat_actions_are_validated_and_recorded() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    api.ok(
        "sendChatAction",
        json!({"chat_id": chat.id, "action": "typing"}),
    )
    .await;
    let description = api
        .fails(
            "sendChatAction",
            json!({"chat_id": chat.id, "action": "dancing"}),
            400,
        )
        .await;
    assert_eq!(
        description,
        "Bad Request: wrong parameter action in request"
    );
    let actions: Vec<_> = sim
        .events_for(chat.id)
        .into_iter()
        .filter(|event| event.kind == SimEventKind::ChatAction)
        .map(|event| event.text)
        .collect();
    assert_eq!(actions, ["typing"]);
}

#[tokio::test]
async fn callback_queries_can_be_answered_once() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    let sent = api
        .ok(
            "sendMessage",
            json!({"chat_id": chat.id, "text": "Pick a coach",
                   "reply_markup": {"inline_keyboard": [[{"text": "Zen", "callback_data": "persona:zen"}]]}}),
        )
        .await;
    let message_id = i32::try_from(sent["message_id"].as_i64().unwrap_or(0)).unwrap_or(0);
    let query_id = sim.press_button(&chat, &ann(), message_id, "persona:zen");
    api.ok(
        "answerCallbackQuery",
        json!({"callback_query_id": query_id, "text": "Zen it is"}),
    )
    .await;
    assert_eq!(
        sim.callback_answers(),
        [(query_id.clone(), Some("Zen it is".to_owned()))]
    );
    let description = api
        .fails(
            "answerCallbackQuery",
            json!({"callback_query_id": query_id}),
            400,
        )
        .await;
    assert_eq!(
        description,
        "Bad Request: query is too old and response timeout expired or query id is invalid"
    );
}

#[tokio::test]
async fn commands_round_trip_and_are_validated() {
    let sim = start(FloodLimits::disabled()).await;
    let api = Api::new(&sim);
    let commands = json!([
        {"command": "start", "description": "Start over"},
        {"command": "scan", "description": "Scan a token"}
    ]);
    // Form encoding: the JSON-valued field arrives as a string.
    let form = api
        .http()
        .post(api.url("setMyCommands"))
        .form(&[("commands", commands.to_string())])
        .send()
        .await;
    let (status, body) = into_parts(form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        sim.commands(),
        [
            ("start".to_owned(), "Start over".to_owned()),
            ("scan".to_owned(), "Scan a token".to_owned())
        ]
    );
    assert_eq!(api.ok("getMyCommands", json!({})).await, commands);
    let description = api
        .fails(
            "setMyCommands",
            json!({"commands": [{"command": "Bad Command", "description": "x"}]}),
            400,
        )
        .await;
    assert_eq!(description, "Bad Request: BOT_COMMAND_INVALID");
}

#[tokio::test]
async fn injected_server_errors_hit_the_next_requests_only() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    sim.fail_next(1, 500);
    let (status, body) = api.send(chat.id, "a").await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 500, "description": "Internal Server Error"})
    );

    sim.fail_next(2, 502);
    for _ in 0..2 {
        let response = api
            .http()
            .post(api.url("sendMessage"))
            .json(&json!({"chat_id": chat.id, "text": "b"}))
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(response.status().as_u16(), 502);
        let page = response.text().await.unwrap_or_default();
        assert!(page.contains("502 Bad Gateway"), "{page}");
    }
    let (status, _) = api.send(chat.id, "c").await;
    assert_eq!(status, 200);
    assert_eq!(sim.bot_messages(chat.id).len(), 1);
    assert_eq!(sim.stats().status_5xx, 3);
}

#[tokio::test]
async fn latency_delays_every_request() {
    let sim = start(FloodLimits::disabled()).await;
    sim.set_latency(Duration::from_millis(150));
    let started = Instant::now();
    Api::new(&sim).ok("getMe", json!({})).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn rejections_are_logged_as_events() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    api.send(chat.id, "   ").await;
    let rejected: Vec<Value> = sim
        .events_for(chat.id)
        .into_iter()
        .filter_map(|event| match event.kind {
            SimEventKind::Rejected { code, description } => {
                Some(json!([event.method, code, description]))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        rejected,
        [json!([
            "sendMessage",
            400,
            "Bad Request: message text is empty"
        ])]
    );
    assert_eq!(sim.stats().status_400, 1);
    assert_eq!(sim.stats().method("sendMessage"), 1);
}
