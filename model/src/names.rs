//! moby's container name generator (`pkg/namesgenerator`): `<adjective>_<surname>`, never
//! `boring_wozniak`, with one extra digit on retries (`focused_turing3`).
//!
//! It owns the word lists and the drawing rule only. Randomness is injected as a `pick`
//! function, so the model stays deterministic; reserving the name and the daemon's retry loop
//! (six attempts, then the short ID) belong to the caller.
//!
//! The word lists are copied verbatim, in order, from moby v20.10.24
//! (`pkg/namesgenerator/names-generator.go`, commit 5d6db842238e3c4f5f9fb9ad70ea46b35227d084),
//! Copyright 2012-2017 Docker, Inc., licensed under the Apache License, Version 2.0. The
//! original carries a short biography for each surname; read them there.

/// The adjectives (`left` in moby): 108 at v20.10.24.
#[rustfmt::skip]
pub const LEFT: [&str; 108] = [
    "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful",
    "blissful", "bold", "boring", "brave", "busy", "charming", "clever", "cool", "compassionate",
    "competent", "condescending", "confident", "cranky", "crazy", "dazzling", "determined",
    "distracted", "dreamy", "eager", "ecstatic", "elastic", "elated", "elegant", "eloquent", "epic",
    "exciting", "fervent", "festive", "flamboyant", "focused", "friendly", "frosty", "funny",
    "gallant", "gifted", "goofy", "gracious", "great", "happy", "hardcore", "heuristic", "hopeful",
    "hungry", "infallible", "inspiring", "interesting", "intelligent", "jolly", "jovial", "keen",
    "kind", "laughing", "loving", "lucid", "magical", "mystifying", "modest", "musing", "naughty",
    "nervous", "nice", "nifty", "nostalgic", "objective", "optimistic", "peaceful", "pedantic",
    "pensive", "practical", "priceless", "quirky", "quizzical", "recursing", "relaxed", "reverent",
    "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic", "strange", "stupefied",
    "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled", "upbeat", "vibrant",
    "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
];

/// The surnames of notable scientists and hackers (`right` in moby): 236 at v20.10.24.
#[rustfmt::skip]
pub const RIGHT: [&str; 236] = [
    "albattani", "allen", "almeida", "antonelli", "agnesi", "archimedes", "ardinghelli",
    "aryabhata", "austin", "babbage", "banach", "banzai", "bardeen", "bartik", "bassi", "beaver",
    "bell", "benz", "bhabha", "bhaskara", "black", "blackburn", "blackwell", "bohr", "booth",
    "borg", "bose", "bouman", "boyd", "brahmagupta", "brattain", "brown", "buck", "burnell",
    "cannon", "carson", "cartwright", "carver", "cerf", "chandrasekhar", "chaplygin", "chatelet",
    "chatterjee", "chebyshev", "cohen", "chaum", "clarke", "colden", "cori", "cray", "curran",
    "curie", "darwin", "davinci", "dewdney", "dhawan", "diffie", "dijkstra", "dirac", "driscoll",
    "dubinsky", "easley", "edison", "einstein", "elbakyan", "elgamal", "elion", "ellis",
    "engelbart", "euclid", "euler", "faraday", "feistel", "fermat", "fermi", "feynman", "franklin",
    "gagarin", "galileo", "galois", "ganguly", "gates", "gauss", "germain", "goldberg", "goldstine",
    "goldwasser", "golick", "goodall", "gould", "greider", "grothendieck", "haibt", "hamilton",
    "haslett", "hawking", "hellman", "heisenberg", "hermann", "herschel", "hertz", "heyrovsky",
    "hodgkin", "hofstadter", "hoover", "hopper", "hugle", "hypatia", "ishizaka", "jackson", "jang",
    "jemison", "jennings", "jepsen", "johnson", "joliot", "jones", "kalam", "kapitsa", "kare",
    "keldysh", "keller", "kepler", "khayyam", "khorana", "kilby", "kirch", "knuth", "kowalevski",
    "lalande", "lamarr", "lamport", "leakey", "leavitt", "lederberg", "lehmann", "lewin",
    "lichterman", "liskov", "lovelace", "lumiere", "mahavira", "margulis", "matsumoto", "maxwell",
    "mayer", "mccarthy", "mcclintock", "mclaren", "mclean", "mcnulty", "mendel", "mendeleev",
    "meitner", "meninsky", "merkle", "mestorf", "mirzakhani", "moore", "morse", "murdock", "moser",
    "napier", "nash", "neumann", "newton", "nightingale", "nobel", "noether", "northcutt", "noyce",
    "panini", "pare", "pascal", "pasteur", "payne", "perlman", "pike", "poincare", "poitras",
    "proskuriakova", "ptolemy", "raman", "ramanujan", "ride", "montalcini", "ritchie", "rhodes",
    "robinson", "roentgen", "rosalind", "rubin", "saha", "sammet", "sanderson", "satoshi", "shamir",
    "shannon", "shaw", "shirley", "shockley", "shtern", "sinoussi", "snyder", "solomon", "spence",
    "stonebraker", "sutherland", "swanson", "swartz", "swirles", "taussig", "tesla", "tharp",
    "thompson", "torvalds", "tu", "turing", "varahamihira", "vaughan", "visvesvaraya", "volhard",
    "villani", "wescoff", "wilbur", "wiles", "williams", "williamson", "wilson", "wing", "wozniak",
    "wright", "wu", "yalow", "yonath", "zhukovsky",
];

/// The one name moby never hands out ("Steve Wozniak is not boring").
const NEVER: (&str, &str) = ("boring", "wozniak");

/// moby's `GetRandomName(retry)`: `LEFT[pick(108)] + "_" + RIGHT[pick(236)]`, drawn again
/// (both words) while it is `boring_wozniak`, then, when `retry > 0`, one more digit
/// `pick(10)` appended.
///
/// `pick(n)` must return an index in `0..n`, as Go's `rand.Intn(n)` does; an index out of
/// range is reduced modulo `n`, so a faulty source cannot panic the model.
pub fn random_name(retry: usize, pick: &mut dyn FnMut(usize) -> usize) -> String {
    let (left, right) = loop {
        let left = LEFT[pick(LEFT.len()) % LEFT.len()];
        let right = RIGHT[pick(RIGHT.len()) % RIGHT.len()];
        if (left, right) != NEVER {
            break (left, right);
        }
    };
    if retry > 0 {
        format!("{left}_{right}{}", pick(10) % 10)
    } else {
        format!("{left}_{right}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Docker's container name rule, `^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`.
    fn is_valid_container_name(name: &str) -> bool {
        let name = name.strip_prefix('/').unwrap_or(name);
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest: Vec<char> = chars.collect();
        first_ok
            && !rest.is_empty()
            && rest
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(*c))
    }

    /// A `pick` that answers from a script, in order.
    fn scripted(answers: Vec<usize>) -> impl FnMut(usize) -> usize {
        let mut next = answers.into_iter();
        move |_| next.next().expect("the script ran out of answers")
    }

    fn index_of(list: &[&str], word: &str) -> usize {
        list.iter().position(|w| *w == word).unwrap()
    }

    #[test]
    fn list_sizes_at_v20_10_24() {
        assert_eq!(LEFT.len(), 108);
        assert_eq!(RIGHT.len(), 236);
        assert_eq!((LEFT[0], LEFT[107]), ("admiring", "zen"));
        assert_eq!((RIGHT[0], RIGHT[235]), ("albattani", "zhukovsky"));
    }

    #[test]
    fn lists_are_lowercase_and_unique() {
        for list in [&LEFT[..], &RIGHT[..]] {
            assert!(list
                .iter()
                .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase())));
            let mut sorted = list.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), list.len());
        }
    }

    #[test]
    fn first_attempt_has_no_digit() {
        let mut pick = scripted(vec![0, 0]);
        assert_eq!(random_name(0, &mut pick), "admiring_albattani");
        let mut pick = scripted(vec![107, 235]);
        assert_eq!(random_name(0, &mut pick), "zen_zhukovsky");
    }

    #[test]
    fn retries_append_one_digit() {
        let mut pick = scripted(vec![0, 0, 3]);
        assert_eq!(random_name(1, &mut pick), "admiring_albattani3");
        let mut pick = scripted(vec![0, 0, 9]);
        assert_eq!(random_name(5, &mut pick), "admiring_albattani9");
        let mut pick = scripted(vec![0, 0, 0]);
        assert_eq!(random_name(1, &mut pick), "admiring_albattani0");
    }

    #[test]
    fn asks_for_the_list_sizes_then_ten() {
        let mut bounds = Vec::new();
        let mut pick = |n: usize| {
            bounds.push(n);
            0
        };
        random_name(2, &mut pick);
        assert_eq!(bounds, [108, 236, 10]);
    }

    #[test]
    fn boring_wozniak_is_rerolled() {
        let boring = index_of(&LEFT, "boring");
        let wozniak = index_of(&RIGHT, "wozniak");
        let mut pick = scripted(vec![boring, wozniak, boring, wozniak, boring, 0]);
        assert_eq!(random_name(0, &mut pick), "boring_albattani");
        let mut pick = scripted(vec![boring, wozniak, 0, wozniak, 4]);
        assert_eq!(random_name(1, &mut pick), "admiring_wozniak4");
    }

    #[test]
    fn out_of_range_picks_wrap() {
        let mut pick = scripted(vec![108, 237, 15]);
        assert_eq!(random_name(1, &mut pick), "admiring_allen5");
    }

    #[test]
    fn every_name_passes_the_name_rule() {
        for (l, left) in LEFT.iter().enumerate() {
            for (r, right) in RIGHT.iter().enumerate() {
                if (*left, *right) == NEVER {
                    continue;
                }
                let mut pick = scripted(vec![l, r, 7]);
                let name = random_name(1, &mut pick);
                assert!(is_valid_container_name(&name), "{name}");
                assert!(is_valid_container_name(&format!("/{name}")), "{name}");
            }
        }
    }

    #[test]
    fn name_rule_itself() {
        assert!(is_valid_container_name("ab"));
        assert!(!is_valid_container_name("a"));
        assert!(!is_valid_container_name("_ab"));
        assert!(!is_valid_container_name("a b"));
        assert!(is_valid_container_name("/a.b-c_d"));
    }
}
