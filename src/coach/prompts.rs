//! The shared prompt templates in `prompts/`, loaded and checked at start.

use std::path::Path;

use super::personas::Persona;

#[derive(Debug, Clone)]
pub struct Templates {
    system: String,
    vision: String,
    summary: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("prompt template {file}: {reason}")]
pub struct TemplateError {
    pub file: String,
    pub reason: String,
}

impl Templates {
    pub fn load(dir: &Path) -> Result<Templates, TemplateError> {
        let read = |name: &str, placeholders: &[&str]| -> Result<String, TemplateError> {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|e| TemplateError {
                file: path.display().to_string(),
                reason: e.to_string(),
            })?;
            if let Some(missing) = placeholders.iter().find(|p| !text.contains(*p)) {
                return Err(TemplateError {
                    file: path.display().to_string(),
                    reason: format!("placeholder {missing} is missing"),
                });
            }
            Ok(text)
        };
        Ok(Templates {
            system: read(
                "system.md",
                &["{persona_name}", "{persona_prompt}", "{style_rules}"],
            )?,
            vision: read("vision.md", &["{chart_prompt}", "{caption}"])?,
            summary: read("summary.md", &["{previous_summary}", "{turns}"])?,
        })
    }

    /// The system message for one persona on one day.
    pub fn system_prompt(&self, persona: &Persona, today: &str) -> String {
        self.system
            .replace("{persona_name}", &persona.name)
            .replace("{persona_prompt}", &persona.system_prompt)
            .replace("{style_rules}", &persona.style_rules)
            .replace("{today}", today)
    }

    /// The user-side instruction that accompanies a chart image.
    pub fn vision_prompt(&self, persona: &Persona, caption: Option<&str>) -> String {
        let caption = caption.map(str::trim).filter(|c| !c.is_empty());
        let text = self.vision.replace("{chart_prompt}", &persona.chart_prompt);
        match caption {
            Some(caption) => text.replace("{caption}", caption),
            None => text
                .lines()
                .filter(|line| line.trim() != "{caption}")
                .collect::<Vec<_>>()
                .join("\n")
                .replace("{caption}", ""),
        }
    }

    pub fn summary_prompt(&self, previous_summary: &str, turns: &str) -> String {
        let previous = if previous_summary.trim().is_empty() {
            "(none yet)"
        } else {
            previous_summary
        };
        self.summary
            .replace("{previous_summary}", previous)
            .replace("{turns}", turns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coach::personas::PersonaBook;

    fn shipped() -> (Templates, PersonaBook) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let templates = Templates::load(&root.join("prompts")).unwrap();
        let book = PersonaBook::load(&root.join("personalities"), "stoic").unwrap();
        (templates, book)
    }

    #[test]
    fn the_system_prompt_carries_the_persona_and_safety_frame() {
        let (templates, book) = shipped();
        let zen = book.get("zen").unwrap();
        let prompt = templates.system_prompt(zen, "2026-11-23");
        assert!(prompt.contains(&zen.name));
        assert!(prompt.contains(zen.system_prompt.lines().next().unwrap()));
        assert!(!prompt.contains("{persona_name}") && !prompt.contains("{style_rules}"));
        assert!(prompt.to_lowercase().contains("financial advice"));
    }

    #[test]
    fn an_empty_caption_leaves_no_placeholder_behind() {
        let (templates, book) = shipped();
        let stoic = book.get("stoic").unwrap();
        let bare = templates.vision_prompt(stoic, None);
        assert!(!bare.contains("{caption}"));
        assert!(bare.contains(stoic.chart_prompt.lines().next().unwrap()));
        let asked = templates.vision_prompt(stoic, Some("Should I hold this?"));
        assert!(asked.contains("Should I hold this?"));
    }

    #[test]
    fn a_template_missing_a_placeholder_is_rejected_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("system.md"), "no placeholders").unwrap();
        let err = Templates::load(dir.path()).unwrap_err();
        assert!(err.file.ends_with("system.md"));
        assert!(err.reason.contains("{persona_name}"));
    }
}
