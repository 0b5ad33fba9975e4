//! Photos and documents users send: stored files, image dimensions read from the file header,
//! and the ladder of `PhotoSize`s Telegram reports for one photo.

use bytes::Bytes;

use super::model::SimFile;
use super::state::{SimState, StoredFile};

/// Longest side of each size Telegram generates (thumbnail, small, medium, large).
const PHOTO_SIDES: [u32; 4] = [90, 320, 800, 1280];

/// Width and height from a PNG, GIF or JPEG header.
pub fn image_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let be16 = |at: usize| -> Option<u32> {
        Some(u32::from(u16::from_be_bytes([
            *bytes.get(at)?,
            *bytes.get(at + 1)?,
        ])))
    };
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let word = |at: usize| -> Option<u32> {
            Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
        };
        return Some((word(16)?, word(20)?));
    }
    if bytes.starts_with(b"GIF8") {
        let le16 = |at: usize| -> Option<u32> {
            Some(u32::from(u16::from_le_bytes([
                *bytes.get(at)?,
                *bytes.get(at + 1)?,
            ])))
        };
        return Some((le16(6)?, le16(8)?));
    }
    if bytes.starts_with(&[0xff, 0xd8]) {
        let mut at = 2;
        while at + 9 < bytes.len() {
            if bytes[at] != 0xff {
                return None;
            }
            let marker = bytes[at + 1];
            let is_frame_header =
                (0xc0..=0xcf).contains(&marker) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
            if is_frame_header {
                return Some((be16(at + 7)?, be16(at + 5)?));
            }
            at += 2 + usize::try_from(be16(at + 2)?).ok()?;
        }
    }
    None
}

fn extension_for_image(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG") {
        "png"
    } else if bytes.starts_with(b"GIF8") {
        "gif"
    } else {
        "jpg"
    }
}

/// Scales (width, height) so the longer side is `side`.
fn scaled(width: u32, height: u32, side: u32) -> (u32, u32) {
    let longest = width.max(height).max(1);
    let scale = |value: u32| {
        u32::try_from(u64::from(value) * u64::from(side) / u64::from(longest))
            .unwrap_or(side)
            .max(1)
    };
    (scale(width), scale(height))
}

impl SimState {
    /// Stores `bytes` under a new file id and path.
    fn store_file(
        &mut self,
        prefix: &str,
        path_dir: &str,
        extension: &str,
        bytes: Bytes,
    ) -> SimFile {
        let number = self.next_file_number();
        let file_id = format!("{prefix}{number:08}SimFileId");
        let file_unique_id = format!("AQAD{number:06}");
        let file_path = format!("{path_dir}/file_{number}.{extension}");
        let file_size = bytes.len();
        self.file_ids_by_path
            .insert(file_path.clone(), file_id.clone());
        self.files.insert(
            file_id.clone(),
            StoredFile {
                file_unique_id: file_unique_id.clone(),
                file_path,
                bytes,
            },
        );
        SimFile {
            file_id,
            file_unique_id,
            file_size,
            width: None,
            height: None,
        }
    }

    /// The `PhotoSize` ladder for one photo, smallest first. Every size serves the original
    /// bytes (the simulator does not resample), so each has the same `file_size`.
    pub fn store_photo(&mut self, bytes: Vec<u8>) -> Vec<SimFile> {
        let (width, height) = image_dimensions(&bytes).unwrap_or((1280, 720));
        let extension = extension_for_image(&bytes);
        let bytes = Bytes::from(bytes);
        let longest = width.max(height);
        let mut sides: Vec<u32> = PHOTO_SIDES
            .iter()
            .copied()
            .filter(|side| *side < longest)
            .collect();
        sides.push(longest.min(2560));
        sides
            .into_iter()
            .map(|side| {
                let (w, h) = scaled(width, height, side);
                let mut file =
                    self.store_file("AgACAgIAAxkBAAI", "photos", extension, bytes.clone());
                file.width = Some(w);
                file.height = Some(h);
                file
            })
            .collect()
    }

    pub fn store_document(&mut self, bytes: Vec<u8>, file_name: &str) -> SimFile {
        let extension = file_name
            .rsplit_once('.')
            .map(|(_, ext)| ext)
            .filter(|ext| !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or("bin")
            .to_ascii_lowercase();
        self.store_file(
            "BQACAgIAAxkBAAI",
            "documents",
            &extension,
            Bytes::from(bytes),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_png_and_gif_dimensions() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&640u32.to_be_bytes());
        png.extend_from_slice(&480u32.to_be_bytes());
        assert_eq!(image_dimensions(&png), Some((640, 480)));
        let gif = [b'G', b'I', b'F', b'8', b'9', b'a', 0x20, 0x03, 0x58, 0x02];
        assert_eq!(image_dimensions(&gif), Some((800, 600)));
    }

    #[test]
    fn reads_jpeg_frame_header() {
        // SOI, an APP0 segment of length 4, then SOF0 with height 300 and width 400.
        let jpeg = [
            0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01,
            0x2c, 0x01, 0x90, 0x03,
        ];
        assert_eq!(image_dimensions(&jpeg), Some((400, 300)));
        assert_eq!(image_dimensions(b"not an image"), None);
    }

    #[test]
    fn scaling_keeps_the_aspect_ratio() {
        assert_eq!(scaled(1600, 1200, 320), (320, 240));
        assert_eq!(scaled(600, 1200, 90), (45, 90));
    }
}
