//! getUpdates: update shapes, offset confirmation, long polling, 409 on a concurrent poll,
//! sticky allowed_updates, and files (getFile + download) of photos and documents.

mod telegram_support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use telegram_support::{Api, ann, ann_chat, bob, into_parts, start};
use tiltguard_sim::{FloodLimits, SimChat};

fn update_ids(updates: &Value) -> Vec<i64> {
    updates
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|u| u["update_id"].as_i64())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn user_messages_arrive_as_message_updates() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let group = SimChat::supergroup(-1_009_999, "Whales");
    sim.send_text(&group, &bob(), "/scan@tiltguard_bot 0xabc");
    let updates = Api::new(&sim).ok("getUpdates", json!({})).await;
    assert_eq!(updates.as_array().map(Vec::len), Some(2));
    let start = &updates[0]["message"];
    assert_eq!(start["message_id"], json!(1));
    assert_eq!(
        start["from"],
        json!({"id": 1001, "is_bot": false, "first_name": "Ann", "username": "ann_trades"})
    );
    assert_eq!(start["chat"]["id"], json!(chat.id));
    assert_eq!(start["text"], json!("/start"));
    assert_eq!(
        start["entities"],
        json!([{"type": "bot_command", "offset": 0, "length": 6}])
    );
    let scan = &updates[1]["message"];
    assert_eq!(
        scan["chat"],
        json!({"id": -1_009_999, "type": "supergroup", "title": "Whales"})
    );
    assert_eq!(scan["entities"][0]["length"], json!(19));
}

#[tokio::test]
async fn offset_confirms_every_earlier_update() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    sim.send_text(&chat, &ann(), "one");
    sim.send_text(&chat, &ann(), "two");
    let api = Api::new(&sim);
    let first = update_ids(&api.ok("getUpdates", json!({"limit": 2})).await);
    assert_eq!(first.len(), 2);
    // Unconfirmed updates are delivered again.
    assert_eq!(
        update_ids(&api.ok("getUpdates", json!({"limit": 2})).await),
        first
    );
    let rest = update_ids(&api.ok("getUpdates", json!({"offset": first[1] + 1})).await);
    assert_eq!(rest, [first[1] + 1]);
    assert_eq!(sim.confirmed_offset(), first[1] + 1);
    assert_eq!(sim.pending_updates(), 1);
    api.ok("getUpdates", json!({"offset": rest[0] + 1})).await;
    assert_eq!(sim.pending_updates(), 0);
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_an_update_arrives() {
    let sim = start(FloodLimits::disabled()).await;
    let api = Api::new(&sim);
    let writer = sim.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        writer.send_text(&SimChat::private(&ann()), &ann(), "gm");
    });
    let started = Instant::now();
    let updates = api.ok("getUpdates", json!({"timeout": 20})).await;
    assert_eq!(updates[0]["message"]["text"], json!("gm"));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_long_poll_times_out_empty() {
    let sim = start(FloodLimits::disabled()).await;
    let started = Instant::now();
    let updates = Api::new(&sim).ok("getUpdates", json!({"timeout": 1})).await;
    assert_eq!(updates, json!([]));
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn a_second_poll_terminates_the_first_with_409() {
    let sim = start(FloodLimits::disabled()).await;
    let first_api = Api::new(&sim);
    let first =
        tokio::spawn(async move { first_api.call("getUpdates", json!({"timeout": 10})).await });
    assert!(
        sim.wait_until(Duration::from_secs(5), |s| s.stats().method("getUpdates")
            == 1)
            .await
    );
    tokio::time::sleep(Duration::from_millis(50)).await;

    let second_api = Api::new(&sim);
    let second =
        tokio::spawn(async move { second_api.call("getUpdates", json!({"timeout": 10})).await });
    let (status, body) = match first.await {
        Ok(reply) => reply,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(status, 409);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 409, "description":
               "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"})
    );
    // The newer poll is the one that lives on and receives the update.
    sim.send_text(&SimChat::private(&ann()), &ann(), "still here");
    let (status, body) = match second.await {
        Ok(reply) => reply,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(status, 200);
    assert_eq!(body["result"][0]["message"]["text"], json!("still here"));
    assert_eq!(sim.stats().status_409, 1);
}

#[tokio::test]
async fn allowed_updates_filters_and_sticks() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    let drained = update_ids(
        &api.ok("getUpdates", json!({"allowed_updates": ["message"]}))
            .await,
    );
    api.ok("getUpdates", json!({"offset": drained[0] + 1}))
        .await;

    // Subscribed to messages only: button presses and stops are never stored.
    sim.press_button(&chat, &ann(), 1, "x");
    sim.press_stop(&chat, 4);
    sim.send_text(&chat, &ann(), "text");
    let updates = api.ok("getUpdates", json!({})).await;
    assert_eq!(updates.as_array().map(Vec::len), Some(1));
    assert_eq!(updates[0]["message"]["text"], json!("text"));
    assert_eq!(sim.dropped_updates(), 2);

    // Form encoding carries the list as a JSON string.
    let list = r#"["message","callback_query","stopped_message_generation"]"#;
    let offset = (update_ids(&updates)[0] + 1).to_string();
    let form = api
        .http()
        .post(api.url("getUpdates"))
        .form(&[("offset", offset.as_str()), ("allowed_updates", list)])
        .send()
        .await;
    let (status, _) = into_parts(form).await;
    assert_eq!(status, 200);
    sim.press_stop(&chat, 4);
    let updates = api.ok("getUpdates", json!({})).await;
    assert_eq!(
        updates[0]["stopped_message_generation"]["draft_id"],
        json!(4)
    );
}

#[tokio::test]
async fn button_presses_carry_the_message_and_data() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    let keyboard = json!({"inline_keyboard": [[{"text": "Buy", "callback_data": "pay:usdt"}]]});
    let sent = api
        .ok(
            "sendMessage",
            json!({"chat_id": chat.id, "text": "Premium?", "reply_markup": keyboard}),
        )
        .await;
    let message_id = i32::try_from(sent["message_id"].as_i64().unwrap_or(0)).unwrap_or(0);
    let query_id = sim.press_button(&chat, &ann(), message_id, "pay:usdt");
    let updates = api.ok("getUpdates", json!({"offset": -1})).await;
    let query = &updates[0]["callback_query"];
    assert_eq!(query["id"], json!(query_id));
    assert_eq!(query["data"], json!("pay:usdt"));
    assert_eq!(query["from"]["id"], json!(1001));
    assert_eq!(query["message"]["message_id"], json!(message_id));
    assert_eq!(query["message"]["reply_markup"], keyboard);
    assert!(query["chat_instance"].is_string());
    assert_eq!(
        sim.pending_updates(),
        1,
        "a negative offset forgets older updates"
    );
}

fn tiny_png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&1600u32.to_be_bytes());
    png.extend_from_slice(&900u32.to_be_bytes());
    png.extend_from_slice(&[8, 6, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]);
    png
}

#[tokio::test]
async fn photos_come_in_sizes_that_can_all_be_downloaded() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = SimChat::private(&ann());
    let bytes = tiny_png();
    sim.send_photo(&chat, &ann(), bytes.clone(), Some("my chart"));
    let api = Api::new(&sim);
    let updates = api.ok("getUpdates", json!({})).await;
    let message = &updates[0]["message"];
    assert_eq!(message["caption"], json!("my chart"));
    assert!(message.get("text").is_none());
    let sizes = message["photo"].as_array().cloned().unwrap_or_default();
    let widths: Vec<i64> = sizes.iter().filter_map(|s| s["width"].as_i64()).collect();
    assert_eq!(widths, [90, 320, 800, 1280, 1600]);
    assert_eq!(sizes[4]["height"], json!(900));

    for size in &sizes {
        let file = api.ok("getFile", json!({"file_id": size["file_id"]})).await;
        assert_eq!(file["file_size"], json!(bytes.len()));
        assert_eq!(size["file_size"], json!(bytes.len()));
        let path = file["file_path"].as_str().unwrap_or_default();
        assert!(path.ends_with(".png"), "{path}");
        let url = format!("{}/file/bot{}/{}", sim.api_url(), sim.token(), path);
        let downloaded = match api.http().get(url).send().await {
            Ok(response) => response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default(),
            Err(error) => panic!("{error}"),
        };
        assert_eq!(downloaded, bytes);
    }
    let description = api.fails("getFile", json!({"file_id": "nope"}), 400).await;
    assert_eq!(description, "Bad Request: invalid file id");
    let wrong_token = format!("{}/file/bot1:x/photos/file_1.png", sim.api_url());
    let (status, _) = into_parts(api.http().get(wrong_token).send().await).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn documents_keep_name_and_type() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = SimChat::private(&ann());
    sim.send_document(
        &chat,
        &ann(),
        b"date,pnl\n".to_vec(),
        "trades.csv",
        "text/csv",
        None,
    );
    let api = Api::new(&sim);
    let updates = api.ok("getUpdates", json!({})).await;
    let document = &updates[0]["message"]["document"];
    assert_eq!(document["file_name"], json!("trades.csv"));
    assert_eq!(document["mime_type"], json!("text/csv"));
    let file = api
        .ok("getFile", json!({"file_id": document["file_id"]}))
        .await;
    assert!(
        file["file_path"]
            .as_str()
            .is_some_and(|p| p.ends_with(".csv"))
    );
}

#[tokio::test]
async fn user_replies_embed_the_replied_message() {
    let sim = start(FloodLimits::disabled()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    let sent = api
        .ok(
            "sendMessage",
            json!({"chat_id": chat.id, "text": "Which token?"}),
        )
        .await;
    let bot_message = i32::try_from(sent["message_id"].as_i64().unwrap_or(0)).unwrap_or(0);
    sim.send_reply(&chat, &ann(), "0xabc", bot_message);
    let updates = api.ok("getUpdates", json!({"offset": -1})).await;
    let reply = &updates[0]["message"]["reply_to_message"];
    assert_eq!(reply["message_id"], json!(bot_message));
    assert_eq!(reply["from"]["is_bot"], json!(true));
}
