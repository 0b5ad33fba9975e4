//! The personality picker: an inline keyboard, a stored choice, a confirmed edit.

use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup};

use super::{BotContext, escape, send};
use crate::store::UserRecord;
use crate::telegram::delivery::OutMessage;

pub fn picker_keyboard(ctx: &BotContext) -> InlineKeyboardMarkup {
    let buttons: Vec<InlineKeyboardButton> = ctx
        .personas
        .all()
        .iter()
        .map(|p| InlineKeyboardButton::callback(p.label(), format!("persona:{}", p.id)))
        .collect();
    InlineKeyboardMarkup::new(buttons.chunks(2).map(<[_]>::to_vec))
}

pub async fn show_picker(ctx: &BotContext, chat_id: i64, user: &UserRecord) {
    let current = ctx.personas.resolve(user.persona.as_deref());
    let mut html = format!(
        "<b>Choose your coach</b>\nNow: {}\n\n",
        escape(&current.label())
    );
    for persona in ctx.personas.all() {
        html.push_str(&format!(
            "{} <b>{}</b> — {}\n",
            escape(&persona.emoji),
            escape(&persona.name),
            escape(&persona.pitch)
        ));
    }
    send(
        ctx,
        chat_id,
        OutMessage::html(html).with_keyboard(picker_keyboard(ctx)),
    )
    .await;
}

pub async fn choose(ctx: &BotContext, query: &CallbackQuery, persona_id: &str) {
    let Some(persona) = ctx.personas.get(persona_id) else {
        ctx.outbox
            .answer_callback(&query.id.0, Some("That coach is no longer available."))
            .await;
        return;
    };
    let user = &query.from;
    let stored = async {
        ctx.store
            .touch_user(
                user.id.0 as i64,
                &user.first_name,
                user.username.as_deref(),
                user.language_code.as_deref(),
            )
            .await?;
        ctx.store.set_persona(user.id.0 as i64, &persona.id).await
    }
    .await;
    if let Err(error) = stored {
        tracing::error!(%error, "could not store a persona choice");
        ctx.outbox
            .answer_callback(&query.id.0, Some("I couldn't save that. Please try again."))
            .await;
        return;
    }
    ctx.outbox
        .answer_callback(
            &query.id.0,
            Some(&format!("{} is your coach now", persona.name)),
        )
        .await;
    if let Some(message) = &query.message {
        let html = format!(
            "{} <b>{}</b> is your coach now.\n<i>{}</i>\n\nWrite whenever you're ready.",
            escape(&persona.emoji),
            escape(&persona.name),
            escape(&persona.pitch)
        );
        let chat_id = message.chat().id.0;
        if let Err(error) = ctx
            .outbox
            .edit(chat_id, message.id().0, &OutMessage::html(html))
            .await
        {
            tracing::warn!(%error, "could not confirm the persona choice");
        }
    }
}
