//! The filesystem as the model sees it: layers are ordered change sets over absolute paths, and
//! a container's view is its image's layers folded together plus its own changes. Only what the
//! toolbox programs can observe is modelled: files with content and mode, directories, deletion.

use std::collections::BTreeMap;

/// What a regular file holds. The model needs to know which files are the toolbox binary so it
/// can predict what executing them does; everything else is plain bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Content {
    Bytes(String),
    /// The multi-call toolbox binary (also installed as `/hello` in hello-world).
    Toolbox,
    /// An executable the model cannot predict (busybox, for example).
    Opaque,
}

/// One path's state in a layer or a container's change set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Node {
    Dir,
    File {
        mode: u32,
        content: Content,
    },
    /// The path was deleted (an OCI whiteout in a layer).
    Deleted,
}

impl Node {
    pub fn file(mode: u32, text: &str) -> Node {
        Node::File {
            mode,
            content: Content::Bytes(text.to_string()),
        }
    }

    pub fn is_executable(&self) -> bool {
        matches!(self, Node::File { mode, .. } if mode & 0o111 != 0)
    }
}

/// Changes keyed by absolute path (`/data/seed.txt`), applied in path order.
pub type Changes = BTreeMap<String, Node>;

/// A merged view over layers (bottom to top) and an optional top change set.
#[derive(Debug)]
pub struct View<'a> {
    layers: Vec<&'a Changes>,
}

impl<'a> View<'a> {
    pub fn new(layers: impl IntoIterator<Item = &'a Changes>) -> Self {
        View {
            layers: layers.into_iter().collect(),
        }
    }

    /// The node at `path`, from the topmost layer that mentions it or deletes a parent.
    pub fn get(&self, path: &str) -> Option<&'a Node> {
        for layer in self.layers.iter().rev() {
            if let Some(node) = layer.get(path) {
                return match node {
                    Node::Deleted => None,
                    other => Some(other),
                };
            }
            if deletes_ancestor(layer, path) {
                return None;
            }
        }
        None
    }

    /// The sorted names directly inside directory `dir`, or `None` if it is not a directory.
    pub fn list(&self, dir: &str) -> Option<Vec<String>> {
        if dir != "/" && !matches!(self.get(dir), Some(Node::Dir)) {
            return None;
        }
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let mut names: Vec<String> = Vec::new();
        for layer in &self.layers {
            for path in layer.keys().filter(|p| p.starts_with(&prefix)) {
                let rest = &path[prefix.len()..];
                if !rest.is_empty() && !rest.contains('/') {
                    names.push(rest.to_string());
                }
            }
        }
        names.sort();
        names.dedup();
        names.retain(|name| self.get(&format!("{prefix}{name}")).is_some());
        Some(names)
    }
}

fn deletes_ancestor(layer: &Changes, path: &str) -> bool {
    let mut at = path;
    while let Some(cut) = at.rfind('/') {
        at = &at[..cut];
        if at.is_empty() {
            return false;
        }
        if let Some(Node::Deleted) = layer.get(at) {
            return true;
        }
    }
    false
}

/// The parent directory of an absolute path (`/data/x` -> `/data`, `/x` -> `/`).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(cut) => &path[..cut],
    }
}

/// A stable, content-derived identity for a change set: the diff ID a committed layer gets.
pub fn changes_digest(changes: &Changes) -> crate::ids::Digest {
    crate::ids::Digest::of_json(changes)
}

/// A size for a change set: the bytes of file content it adds.
pub fn changes_size(changes: &Changes) -> u64 {
    changes
        .values()
        .map(|node| match node {
            Node::File {
                content: Content::Bytes(text),
                ..
            } => text.len() as u64,
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(entries: &[(&str, Node)]) -> Changes {
        entries
            .iter()
            .map(|(p, n)| (p.to_string(), n.clone()))
            .collect()
    }

    #[test]
    fn upper_layers_win_and_deletions_hide() {
        let base = layer(&[
            ("/data", Node::Dir),
            ("/data/a", Node::file(0o644, "a")),
            ("/data/b", Node::file(0o644, "b")),
        ]);
        let top = layer(&[
            ("/data/a", Node::Deleted),
            ("/data/c", Node::file(0o644, "c")),
        ]);
        let view = View::new([&base, &top]);
        assert_eq!(view.get("/data/a"), None);
        assert_eq!(view.list("/data").unwrap(), vec!["b", "c"]);
        assert_eq!(view.list("/nope"), None);
    }

    #[test]
    fn deleting_a_directory_hides_its_contents() {
        let base = layer(&[("/d", Node::Dir), ("/d/x", Node::file(0o644, "x"))]);
        let top = layer(&[("/d", Node::Deleted)]);
        assert_eq!(View::new([&base, &top]).get("/d/x"), None);
    }

    #[test]
    fn parent_of_paths() {
        assert_eq!(parent("/data/x"), "/data");
        assert_eq!(parent("/x"), "/");
    }
}
