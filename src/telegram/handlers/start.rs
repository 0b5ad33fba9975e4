//! /start, /help and the hint for commands we do not know.

use super::persona::picker_keyboard;
use super::{BotContext, COMMANDS, escape, reply, send};
use crate::store::UserRecord;
use crate::telegram::delivery::OutMessage;

pub async fn welcome(ctx: &BotContext, chat_id: i64, user: &UserRecord) {
    let current = ctx.personas.resolve(user.persona.as_deref());
    let html = format!(
        "👋 <b>Welcome to tiltguard, {name}.</b>\n\n\
         I'm a trading-psychology coach for crypto traders. Talk to me before a trade you're \
         unsure about, after a loss that stings, or when FOMO is loud. I help you keep your \
         rules, size your risk and trade your plan, not your feelings.\n\n\
         Pick the coach you want to talk to. You're with <b>{coach}</b> until you choose \
         another. I can also check a token for traps (/scan) and tell you when a whale \
         wallet moves (/watch); /help lists everything I can do.\n\n\
         <i>Coaching, not financial advice.</i>",
        name = escape(&user.first_name),
        coach = escape(&current.label()),
    );
    let message = OutMessage::html(html).with_keyboard(picker_keyboard(ctx));
    send(ctx, chat_id, message).await;
}

pub async fn help(ctx: &BotContext, chat_id: i64) {
    reply(ctx, chat_id, &help_html()).await;
}

pub fn help_html() -> String {
    let mut html = String::from("<b>What I can do</b>\n\n");
    for (command, description) in COMMANDS {
        html.push_str(&format!("/{command} — {}\n", escape(description)));
    }
    html.push_str("\nJust write to me to talk with your coach.");
    html
}

pub async fn unknown_command(ctx: &BotContext, chat_id: i64, name: &str) {
    let name: String = name.chars().take(32).collect();
    reply(
        ctx,
        chat_id,
        &format!(
            "I don't know /{}. Send /help to see what I can do.",
            escape(&name)
        ),
    )
    .await;
}
