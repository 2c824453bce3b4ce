//! Keeps each crate's top-level modules free of circles: a new circle fails CI, with nothing from outside the repo.
//!
//! A module is a top-level folder or file under `src` (`fleet/`, `events.rs`; `lib.rs` and `main.rs` are not
//! modules); an arrow A -> B is a `crate::B…` path, or a `B` item of a `crate::{…}` group (across lines too), written
//! on a line of a file of A that is not a `//` comment line (`#[cfg(test)]` code included). Modules sit on floors: a
//! module's floor is one above the highest floor it uses. A circle puts every module in it on one floor, so none of
//! them can be read, tested or changed without the others; the failure names each circle and the `file:line` of each
//! arrow in it, and prints the floors. `cargo nextest run -p botfleet --test floors` runs only this check.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

#[test]
fn botfleet_modules_form_no_circle() {
    assert_no_circle(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}

#[test]
fn discord_emulator_modules_form_no_circle() {
    assert_no_circle(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../discord-emulator/src"));
}

fn assert_no_circle(src: &Path) {
    assert!(src.join("lib.rs").is_file(), "{} is not a crate's src folder", src.display());
    let shown = relative_to_workspace(src);
    let graph = Graph::scan(src, &shown);
    assert!(graph.nodes.len() > 1, "found no modules under {shown}; is the scanner looking in the right place?");
    let report = graph.report();
    if report.circles.is_empty() {
        println!("{}", report.text);
    }
    assert!(
        report.circles.is_empty(),
        "{shown} has module circles: every module in a circle depends on all the others. Break each circle by moving \
         what the lower module needs out of the higher one (or the use up a floor), so that every arrow points to a \
         lower floor.\n\n{}",
        report.text
    );
}

/// `crates/botfleet/src` rather than an absolute path, as the `layers` tool run from the workspace root prints it.
fn relative_to_workspace(src: &Path) -> String {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    match (src.canonicalize(), workspace.canonicalize()) {
        (Ok(src), Ok(workspace)) => match src.strip_prefix(&workspace) {
            Ok(rel) => slashed(rel),
            Err(_) => slashed(&src),
        },
        _ => slashed(src),
    }
}

fn slashed(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// The modules of one crate and the arrows between them.
struct Graph {
    shown: String,
    nodes: BTreeSet<String>,
    /// a -> b -> the first `file:line` (in reading order) that ties them.
    edges: BTreeMap<String, BTreeMap<String, String>>,
}

struct Report {
    /// Floors, then each circle with its arrows: the text the `layers` tool prints.
    text: String,
    circles: Vec<Circle>,
}

#[derive(Debug, PartialEq)]
struct Circle {
    modules: Vec<String>,
    /// (from, to, `file:line`) for each arrow between two modules of the circle.
    arrows: Vec<(String, String, String)>,
}

impl Graph {
    /// Reads every `.rs` file under `src` (its own files in name order, then its folders in name order).
    fn scan(src: &Path, shown: &str) -> Graph {
        let mut graph = Graph { shown: shown.to_string(), nodes: BTreeSet::new(), edges: BTreeMap::new() };
        let mut files = Vec::new();
        rust_files(src, Path::new(""), &mut files);
        for rel in files {
            let rel_shown = slashed(&rel);
            if rel_shown == "lib.rs" || rel_shown == "main.rs" {
                continue;
            }
            let a = node_of(&rel);
            graph.nodes.insert(a.clone());
            let text = String::from_utf8_lossy(&fs::read(src.join(&rel)).unwrap()).into_owned();
            let mut group = Group::default();
            for (no, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for b in crate_paths(line, &mut group) {
                    if b != a && is_module(src, &b) {
                        graph.nodes.insert(b.clone());
                        graph
                            .edges
                            .entry(a.clone())
                            .or_default()
                            .entry(b)
                            .or_insert_with(|| format!("{shown}/{rel_shown}:{}", no + 1));
                    }
                }
            }
        }
        graph
    }

    fn successors(&self, n: &str) -> Vec<&str> {
        self.edges.get(n).map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default()
    }

    /// Strongly connected components (Tarjan), in the order Tarjan completes them: a component comes after every
    /// component it points to.
    fn components(&self) -> Vec<Vec<String>> {
        struct Tarjan<'g> {
            index: HashMap<&'g str, usize>,
            low: HashMap<&'g str, usize>,
            on: HashSet<&'g str>,
            stack: Vec<&'g str>,
            /// (node, its successors, how many of them are done)
            work: Vec<(&'g str, Vec<&'g str>, usize)>,
        }
        impl<'g> Tarjan<'g> {
            fn visit(&mut self, graph: &'g Graph, v: &'g str) {
                let i = self.index.len();
                self.index.insert(v, i);
                self.low.insert(v, i);
                self.stack.push(v);
                self.on.insert(v);
                self.work.push((v, graph.successors(v), 0));
            }
            fn lower(&mut self, v: &'g str, to: usize) {
                let low = self.low[v].min(to);
                self.low.insert(v, low);
            }
        }
        let mut t = Tarjan {
            index: HashMap::new(),
            low: HashMap::new(),
            on: HashSet::new(),
            stack: Vec::new(),
            work: Vec::new(),
        };
        let mut sccs = Vec::new();
        for start in &self.nodes {
            if t.index.contains_key(start.as_str()) {
                continue;
            }
            t.visit(self, start);
            while let Some((v, next, done)) = t.work.last_mut() {
                let v = *v;
                if let Some(&w) = next.get(*done) {
                    *done += 1;
                    if !t.index.contains_key(w) {
                        t.visit(self, w);
                    } else if t.on.contains(w) {
                        t.lower(v, t.index[w]);
                    }
                    continue;
                }
                t.work.pop();
                if let Some(&(parent, _, _)) = t.work.last() {
                    t.lower(parent, t.low[v]);
                }
                if t.low[v] == t.index[v] {
                    let mut comp = Vec::new();
                    loop {
                        let w = t.stack.pop().unwrap();
                        t.on.remove(w);
                        comp.push(w.to_string());
                        if w == v {
                            break;
                        }
                    }
                    comp.sort();
                    sccs.push(comp);
                }
            }
        }
        sccs
    }

    fn report(&self) -> Report {
        let sccs = self.components();
        let comp_of: HashMap<&str, usize> =
            sccs.iter().enumerate().flat_map(|(i, c)| c.iter().map(move |n| (n.as_str(), i))).collect();
        let mut floor = vec![0usize; sccs.len()];
        for (i, c) in sccs.iter().enumerate() {
            let below = c.iter().flat_map(|n| self.successors(n)).map(|b| comp_of[b]).filter(|&j| j != i);
            floor[i] = below.map(|j| floor[j] + 1).max().unwrap_or(0);
        }
        let arrows: usize = self.edges.values().map(BTreeMap::len).sum();
        let mut text = format!("{}: {} modules, {arrows} arrows\n", self.shown, self.nodes.len());
        for f in floor.iter().copied().collect::<BTreeSet<_>>().into_iter().rev() {
            let mut names: Vec<&str> = sccs
                .iter()
                .enumerate()
                .filter(|(i, _)| floor[*i] == f)
                .flat_map(|(_, c)| c.iter().map(String::as_str))
                .collect();
            names.sort();
            writeln!(text, "  floor {f:>2}: {}", names.join(", ")).unwrap();
        }
        let mut circles = Vec::new();
        for c in sccs.into_iter().filter(|c| c.len() > 1) {
            writeln!(text, "\ncircle of {}: {}", c.len(), c.join(", ")).unwrap();
            let mut arrows = Vec::new();
            for a in &c {
                for (b, at) in self.edges.get(a).into_iter().flatten() {
                    if c.contains(b) {
                        writeln!(text, "  {a} -> {b}   ({at})").unwrap();
                        arrows.push((a.clone(), b.clone(), at.clone()));
                    }
                }
            }
            circles.push(Circle { modules: c, arrows });
        }
        write!(text, "\n{} circle(s)", circles.len()).unwrap();
        Report { text, circles }
    }
}

/// `rel` and everything below it, relative to `src`: the folder's own `.rs` files by name, then its folders by name.
fn rust_files(src: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<(String, bool)> = fs::read_dir(src.join(rel))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), e.file_type().unwrap().is_dir())
        })
        .collect();
    entries.sort();
    for (name, _) in entries.iter().filter(|(name, dir)| !dir && name.ends_with(".rs")) {
        out.push(rel.join(name));
    }
    for (name, _) in entries.iter().filter(|(_, dir)| *dir) {
        rust_files(src, &rel.join(name), out);
    }
}

/// The module a file (relative to `src`) belongs to: its first folder, or its own name without `.rs`.
fn node_of(rel: &Path) -> String {
    let mut parts = rel.components();
    let first = parts.next().unwrap().as_os_str().to_string_lossy().into_owned();
    if parts.next().is_none() {
        first.trim_end_matches(".rs").to_string()
    } else {
        first
    }
}

/// Whether `crate::name` is a top-level module with a file (`name.rs` or `name/mod.rs`), not an item of lib.rs.
fn is_module(src: &Path, name: &str) -> bool {
    src.join(format!("{name}.rs")).is_file() || src.join(name).join("mod.rs").is_file()
}

/// Where a `crate::{…}` group that is still open at the end of a line stands.
#[derive(Default)]
struct Group {
    /// Brace depth inside the group; 0 when not in a group.
    depth: usize,
    /// The next identifier at depth 1 starts an item (right after `{` or `,`).
    at_item: bool,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The first segment of every `crate::` path on `line`: `crate::a::b` gives `a`, `crate::{a::{x, y}, b}` gives `a` and
/// `b`. A group may run over several lines; `group` carries it from one line to the next.
fn crate_paths(line: &str, group: &mut Group) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let ident_at = |mut i: usize| {
        let start = i;
        if chars.get(i).is_some_and(|c| c.is_ascii_alphabetic() || *c == '_') {
            while chars.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
                i += 1;
            }
        }
        (chars[start..i].iter().collect::<String>(), i)
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if group.depth > 0 {
            if c == '/' && chars.get(i + 1) == Some(&'/') {
                break; // a comment at the end of a line inside the group
            }
            match c {
                '{' => {
                    group.depth += 1;
                    group.at_item = false;
                }
                '}' => {
                    group.depth -= 1;
                    group.at_item = false;
                }
                ',' if group.depth == 1 => group.at_item = true,
                c if c.is_whitespace() => {}
                _ if group.at_item => {
                    group.at_item = false;
                    let (name, end) = ident_at(i);
                    if !name.is_empty() {
                        found.push(name);
                        i = end;
                        continue;
                    }
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        let starts_path =
            chars[i..].starts_with(&['c', 'r', 'a', 't', 'e', ':', ':']) && (i == 0 || !is_word(chars[i - 1]));
        if !starts_path {
            i += 1;
            continue;
        }
        let after = i + "crate::".len();
        if chars.get(after) == Some(&'{') {
            *group = Group { depth: 1, at_item: true };
            i = after + 1;
            continue;
        }
        let (name, end) = ident_at(after);
        if !name.is_empty() {
            found.push(name);
        }
        i = end.max(after);
    }
    found
}

// ---- the check itself, on small trees whose answer is known ----

fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

fn arrow(a: &str, b: &str, at: &str) -> (String, String, String) {
    (a.to_string(), b.to_string(), format!("tree/src/{at}"))
}

#[test]
fn the_scanner_finds_exactly_the_circle_in_a_tree_with_one() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    write_tree(
        &src,
        &[
            // lib.rs and main.rs are not modules: their paths are no arrows.
            ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod d;\npub use crate::a::Thing;\n"),
            ("main.rs", "fn main() { let _ = crate::d::X; }\n"),
            // a -> b, on line 3; the comment line and the `crate::` inside a longer word are no arrows.
            ("a.rs", "// uses crate::d only in a comment\nuse my_crate::d;\nuse crate::b::Other;\npub struct Thing;\n"),
            // b -> a through a group spread over lines (with a nested group), b -> c through the same group.
            ("b/mod.rs", "mod inner;\npub struct Other;\n"),
            (
                "b/inner.rs",
                "use crate::{\n    c::Helper, // crate::d in a trailing comment inside the group\n    \
                 a::{self, Thing},\n};\nfn f() -> crate::Result {}\n",
            ),
            // c uses only itself, an item of lib.rs and a module that does not exist.
            ("c.rs", "pub struct Helper;\nfn f() { crate::c::Helper; crate::Error; crate::gone::X; }\n"),
            // d -> c, inside #[cfg(test)] code.
            ("d.rs", "pub const X: u8 = 1;\n#[cfg(test)]\nmod tests {\n    use crate::{c::Helper};\n}\n"),
        ],
    );
    let report = Graph::scan(&src, "tree/src").report();
    assert_eq!(
        report.circles,
        vec![Circle {
            modules: vec!["a".into(), "b".into()],
            arrows: vec![arrow("a", "b", "a.rs:3"), arrow("b", "a", "b/inner.rs:3")],
        }],
        "{}",
        report.text
    );
    assert_eq!(
        report.text,
        "tree/src: 4 modules, 4 arrows
  floor  1: a, b, d
  floor  0: c

circle of 2: a, b
  a -> b   (tree/src/a.rs:3)
  b -> a   (tree/src/b/inner.rs:3)

1 circle(s)"
    );
}

#[test]
fn the_scanner_finds_no_circle_in_a_clean_tree() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    write_tree(
        &src,
        &[
            ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n"),
            // a -> c only: the line naming b is a comment.
            ("a.rs", "use crate::c::Helper;\n    // use crate::b::Other; would close a circle\n"),
            ("b/mod.rs", "mod inner;\n"),
            ("b/inner.rs", "use crate::{\n    a::Thing,\n    c,\n};\n"),
            ("c.rs", "pub struct Helper;\n"),
        ],
    );
    let report = Graph::scan(&src, "tree/src").report();
    assert_eq!(report.circles, vec![], "{}", report.text);
    assert_eq!(
        report.text,
        "tree/src: 3 modules, 3 arrows
  floor  2: b
  floor  1: a
  floor  0: c

0 circle(s)"
    );
}
