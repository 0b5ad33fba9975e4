//! The eight coaching personalities, loaded from `personalities/*.md` and validated at start.
//!
//! File format: `key: value` header lines (`id`, `name`, `emoji`, `pitch`), then three
//! sections, `## System prompt`, `## Style rules` and `## Chart prompt`. A broken file stops
//! the bot at start, naming the file, instead of producing a strange coach later.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persona {
    pub id: String,
    pub name: String,
    pub emoji: String,
    pub pitch: String,
    pub system_prompt: String,
    pub style_rules: String,
    pub chart_prompt: String,
}

impl Persona {
    /// "🏛 The Stoic", as buttons and confirmations show it.
    pub fn label(&self) -> String {
        format!("{} {}", self.emoji, self.name)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PersonaError {
    #[error("cannot read personalities from {dir}: {reason}")]
    Directory { dir: PathBuf, reason: String },
    #[error("personality file {file}: {reason}")]
    File { file: PathBuf, reason: String },
    #[error("personalities: {0}")]
    Set(String),
}

/// All personas, in a stable order (by file name), with one default.
#[derive(Debug, Clone)]
pub struct PersonaBook {
    personas: Vec<Persona>,
    default_index: usize,
}

impl PersonaBook {
    pub fn load(dir: &Path, default_id: &str) -> Result<PersonaBook, PersonaError> {
        let entries = std::fs::read_dir(dir).map_err(|e| PersonaError::Directory {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
            .collect();
        files.sort();
        let mut personas = Vec::with_capacity(files.len());
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| PersonaError::File {
                file: file.clone(),
                reason: e.to_string(),
            })?;
            let persona = parse_persona(&text).map_err(|reason| PersonaError::File {
                file: file.clone(),
                reason,
            })?;
            if personas.iter().any(|p: &Persona| p.id == persona.id) {
                return Err(PersonaError::File {
                    file,
                    reason: format!("duplicate id {:?}", persona.id),
                });
            }
            personas.push(persona);
        }
        PersonaBook::new(personas, default_id)
    }

    pub fn new(personas: Vec<Persona>, default_id: &str) -> Result<PersonaBook, PersonaError> {
        if personas.is_empty() {
            return Err(PersonaError::Set("no personality files found".into()));
        }
        let default_index = personas
            .iter()
            .position(|p| p.id == default_id)
            .ok_or_else(|| {
                PersonaError::Set(format!(
                    "DEFAULT_PERSONA {default_id:?} is not one of the loaded ids"
                ))
            })?;
        Ok(PersonaBook {
            personas,
            default_index,
        })
    }

    pub fn all(&self) -> &[Persona] {
        &self.personas
    }

    pub fn get(&self, id: &str) -> Option<&Persona> {
        self.personas.iter().find(|p| p.id == id)
    }

    pub fn default_persona(&self) -> &Persona {
        &self.personas[self.default_index]
    }

    /// The user's choice if it still exists, else the default.
    pub fn resolve(&self, chosen: Option<&str>) -> &Persona {
        chosen
            .and_then(|id| self.get(id))
            .unwrap_or_else(|| self.default_persona())
    }
}

pub fn parse_persona(text: &str) -> Result<Persona, String> {
    let mut header = Vec::new();
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            sections.push((title.trim().to_ascii_lowercase(), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        } else if !line.trim().is_empty() {
            header.push(line);
        }
    }
    let field = |key: &str| -> Result<String, String> {
        header
            .iter()
            .find_map(|line| {
                let (k, v) = line.split_once(':')?;
                (k.trim() == key).then(|| v.trim().to_string())
            })
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("missing header line `{key}: …`"))
    };
    let section = |title: &str| -> Result<String, String> {
        sections
            .iter()
            .find(|(t, _)| t == title)
            .map(|(_, body)| body.trim().to_string())
            .filter(|body| !body.is_empty())
            .ok_or_else(|| format!("missing or empty section `## {}`", capitalize(title)))
    };
    let id = field("id")?;
    if !id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        || id.len() > 32
    {
        return Err(format!(
            "id {id:?} must be lowercase snake_case, at most 32 characters"
        ));
    }
    let pitch = field("pitch")?;
    if pitch.chars().count() > 120 {
        return Err("pitch is longer than 120 characters".into());
    }
    Ok(Persona {
        id,
        name: field("name")?,
        emoji: field("emoji")?,
        pitch,
        system_prompt: section("system prompt")?,
        style_rules: section("style rules")?,
        chart_prompt: section("chart prompt")?,
    })
}

fn capitalize(title: &str) -> String {
    let mut chars = title.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "id: stoic\nname: The Stoic\nemoji: 🏛\npitch: Calm.\n\n\
        ## System prompt\nYou are calm.\n\n## Style rules\n- Short.\n\n## Chart prompt\nLook.\n";

    #[test]
    fn a_complete_file_parses() {
        let persona = parse_persona(GOOD).unwrap();
        assert_eq!(persona.id, "stoic");
        assert_eq!(persona.label(), "🏛 The Stoic");
        assert_eq!(persona.style_rules, "- Short.");
    }

    #[test]
    fn missing_parts_are_named() {
        let no_pitch = GOOD.replace("pitch: Calm.\n", "");
        assert!(parse_persona(&no_pitch).unwrap_err().contains("pitch"));
        let no_style = GOOD.replace("## Style rules\n- Short.\n", "");
        assert!(
            parse_persona(&no_style)
                .unwrap_err()
                .contains("Style rules")
        );
        let bad_id = GOOD.replace("id: stoic", "id: The Stoic");
        assert!(parse_persona(&bad_id).unwrap_err().contains("snake_case"));
    }

    #[test]
    fn a_broken_file_fails_loading_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.md"), GOOD).unwrap();
        std::fs::write(dir.path().join("b.md"), "id: b\n").unwrap();
        let err = PersonaBook::load(dir.path(), "stoic")
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.md"), "{err}");
    }

    #[test]
    fn the_shipped_personalities_are_eight_distinct_coaches() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("personalities");
        let book = PersonaBook::load(&dir, "stoic").unwrap();
        assert_eq!(book.all().len(), 8);
        let mut names: Vec<_> = book.all().iter().map(|p| p.name.clone()).collect();
        names.dedup();
        assert_eq!(names.len(), 8);
        assert_eq!(book.resolve(Some("gone")).id, "stoic");
    }
}
