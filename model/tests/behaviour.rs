//! The model against the rules and texts of dockerd 20.10.24, scenario by scenario. Every
//! expected text below was observed on the reference engine (see
//! `reference/dockerd-20.10-observations.md`, section numbers in the comments).

use berth_model::command::parse_line;
use berth_model::container::State;
use berth_model::render::render;
use berth_model::response::{DeleteItem, Response};
use berth_model::{Answer, Catalog, ErrorKind, Model, Outcome, Profile, SeededEnv};

struct Session {
    model: Model,
    env: SeededEnv,
}

impl Session {
    fn new() -> Session {
        Session {
            model: Model::new(Profile::Docker2010, Catalog::fixtures()),
            env: SeededEnv::with_seed(42),
        }
    }

    fn answer(&mut self, line: &str) -> Answer {
        let command = parse_line(line).unwrap().unwrap();
        self.model.apply(&command, &mut self.env)
    }

    fn ok(&mut self, line: &str) -> Response {
        match self.answer(line).outcome().clone() {
            Ok(response) => response,
            Err(e) => panic!("{line}: {e:?}"),
        }
    }

    fn err(&mut self, line: &str) -> (ErrorKind, String) {
        match self.answer(line).outcome().clone() {
            Err(e) => (e.kind, e.message),
            Ok(r) => panic!("{line}: expected an error, got {r:?}"),
        }
    }

    /// The single target's outcome of a multi-target verb.
    fn target(&mut self, line: &str) -> Outcome {
        match self.ok(line) {
            Response::PerTarget(mut results) => results.remove(0).1,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn target_err(&mut self, line: &str) -> (ErrorKind, String) {
        let e = self.target(line).unwrap_err();
        (e.kind, e.message)
    }

    fn cli(&mut self, line: &str) -> (String, String, i32) {
        let command = parse_line(line).unwrap().unwrap();
        let answer = self.model.apply(&command, &mut self.env);
        let out = render(&command, answer.outcome(), self.env.peek());
        (out.stdout, out.stderr, out.exit)
    }

    fn id(&mut self, name: &str) -> String {
        match self.ok(&format!("inspect {name}")) {
            Response::InspectContainer(c) => c.id.to_string(),
            Response::InspectImage(i) => i.image.id.to_string(),
            other => panic!("{other:?}"),
        }
    }

    fn state(&mut self, name: &str) -> (State, i32) {
        match self.ok(&format!("inspect {name}")) {
            Response::InspectContainer(c) => (c.state, c.exit_code),
            other => panic!("{other:?}"),
        }
    }
}

// --- container lookup (section 2) ---

#[test]
fn containers_resolve_by_full_id_name_and_unique_prefix() {
    let mut s = Session::new();
    s.ok("create --name web toolbox");
    let id = s.id("web");
    assert!(matches!(
        s.ok(&format!("inspect {id}")),
        Response::InspectContainer(_)
    ));
    assert!(matches!(
        s.ok(&format!("inspect {}", &id[..1])),
        Response::InspectContainer(_)
    ));
    assert_eq!(
        s.err("inspect nosuch"),
        (ErrorKind::NotFound, "No such object: nosuch".into())
    );
    assert_eq!(
        s.target_err("stop nosuch"),
        (ErrorKind::NotFound, "No such container: nosuch".into())
    );
}

#[test]
fn an_ambiguous_prefix_is_a_500_naming_the_prefix() {
    let mut s = Session::new();
    let mut ids: Vec<String>;
    let shared = loop {
        s.ok("create toolbox");
        let all = match s.ok("ps -a -q") {
            Response::Containers(list) => list
                .into_iter()
                .map(|c| c.id.to_string())
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        ids = all;
        let firsts: Vec<char> = ids.iter().map(|id| id.chars().next().unwrap()).collect();
        if let Some(c) = firsts
            .iter()
            .find(|c| firsts.iter().filter(|d| d == c).count() > 1)
        {
            break c.to_string();
        }
    };
    assert!(ids.len() > 1);
    assert_eq!(
        s.target_err(&format!("rm {shared}")),
        (
            ErrorKind::System,
            format!("Multiple IDs found with provided prefix: {shared}")
        )
    );
    assert_eq!(
        s.target_err(&format!("kill {shared}")).1,
        format!(
            "Cannot kill container: {shared}: Multiple IDs found with provided prefix: {shared}"
        )
    );
}

#[test]
fn a_name_wins_over_an_id_prefix() {
    let mut s = Session::new();
    s.ok("create toolbox");
    let first = match s.ok("ps -a -q") {
        Response::Containers(list) => list[0].id.to_string(),
        other => panic!("{other:?}"),
    };
    // A container named like the first one's prefix (names need two characters).
    let named = first[..2].to_string();
    s.ok(&format!("create --name {named} toolbox /toolbox out named"));
    match s.ok(&format!("inspect {named}")) {
        Response::InspectContainer(c) => assert_eq!(&*c.name, format!("/{named}")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_arguments_are_refused_by_the_cli() {
    let mut s = Session::new();
    assert_eq!(s.target_err("rm ''").1, "container name cannot be empty");
    assert_eq!(
        s.target_err("stop ''").1,
        "invalid container name or ID: value is empty"
    );
}

// --- names (sections 5, 13) ---

#[test]
fn names_are_validated_and_conflicts_named() {
    let mut s = Session::new();
    for bad in ["a", "-x", "x!"] {
        let (kind, message) = s.err(&format!("create --name={bad} toolbox"));
        assert_eq!(kind, ErrorKind::InvalidParameter);
        assert_eq!(
            message,
            format!("Invalid container name ({bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        );
    }
    s.ok("run -d --name x13 toolbox /toolbox sleep");
    let holder = s.id("x13");
    let conflict = format!(
        "Conflict. The container name \"/x13\" is already in use by container \"{holder}\". \
         You have to remove (or rename) that container to be able to reuse that name."
    );
    assert_eq!(
        s.err("create --name x13 toolbox"),
        (ErrorKind::Conflict, conflict.clone())
    );
    let (_, stderr, exit) = s.cli("run -d --name x13 toolbox");
    assert_eq!(stderr, format!("docker: Error response from daemon: {conflict}\n\nRun 'docker run --help' for more information\n"));
    assert_eq!(exit, 125);
    let (_, stderr, exit) = s.cli("create --name x13 toolbox");
    assert_eq!(
        (stderr, exit),
        (format!("Error response from daemon: {conflict}\n"), 1)
    );
}

#[test]
fn rename_checks_in_mobys_order() {
    let mut s = Session::new();
    s.ok("create --name e5a toolbox");
    s.ok("create --name e5b toolbox");
    let holder = s.id("e5b");
    assert_eq!(
        s.err("rename e5a e5a").1,
        "Renaming a container with the same name as its current name"
    );
    assert_eq!(
        s.err("rename e5a /e5a").1,
        "Renaming a container with the same name as its current name"
    );
    assert_eq!(
        s.err("rename e5a x!").1,
        "Error when allocating new name: Invalid container name (/x!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
    );
    assert_eq!(s.err("rename e5a e5b"), (ErrorKind::Conflict, format!(
        "Error when allocating new name: Conflict. The container name \"/e5b\" is already in use by container \"{holder}\". \
         You have to remove (or rename) that container to be able to reuse that name."
    )));
    assert_eq!(
        s.err("rename e5a ''").1,
        "Neither old nor new names may be empty"
    );
    let (_, stderr, exit) = s.cli("rename nosuchctr e5q");
    assert_eq!(stderr, "Error response from daemon: No such container: nosuchctr\nError: failed to rename container named nosuchctr\n");
    assert_eq!(exit, 1);
    assert!(matches!(s.ok("rename e5a /e5z"), Response::Renamed));
    assert_eq!(s.state("e5z").0, State::Created);
}

#[test]
fn generated_names_follow_the_generator() {
    let mut s = Session::new();
    s.ok("create toolbox");
    match s.ok("ps -a") {
        Response::Containers(list) => {
            let name = list[0].name.trim_start_matches('/').to_string();
            let (left, right) = name.split_once('_').unwrap();
            assert!(
                !left.is_empty() && !right.is_empty() && name != "boring_wozniak",
                "{name}"
            );
        }
        other => panic!("{other:?}"),
    }
}

// --- exec failures (section 1) ---

#[test]
fn a_missing_executable_is_127_and_the_container_stays_created() {
    let mut s = Session::new();
    s.ok("pull toolbox");
    let (stdout, stderr, exit) = s.cli("run --name e1abs toolbox /nope");
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: \
         unable to start container process: exec: \"/nope\": stat /nope: no such file or directory: unknown\n\n\
         Run 'docker run --help' for more information\n"
    );
    assert_eq!(exit, 127);
    assert_eq!(s.state("e1abs"), (State::Created, 127));
    assert!(matches!(
        s.target("wait e1abs"),
        Ok(Response::Waited { status: 127 })
    ));
    let (_, stderr, exit) = s.cli("start e1abs");
    assert!(
        stderr.ends_with("Error: failed to start containers: e1abs\n"),
        "{stderr}"
    );
    assert_eq!(exit, 1);
    let (kind, _) = s.target_err("start e1abs");
    assert_eq!(kind, ErrorKind::InvalidParameter);
}

#[test]
fn path_lookup_and_permission_failures() {
    let mut s = Session::new();
    let (_, stderr, exit) = s.cli("run --name e1rel toolbox nope");
    assert!(
        stderr.contains("exec: \"nope\": executable file not found in $PATH: unknown"),
        "{stderr}"
    );
    assert_eq!(exit, 127);
    let (_, stderr, exit) = s.cli("run --name e1perm toolbox /data/seed.txt");
    assert!(
        stderr.contains("exec: \"/data/seed.txt\": permission denied: unknown"),
        "{stderr}"
    );
    assert_eq!(exit, 126);
    assert_eq!(s.state("e1perm"), (State::Created, 126));
}

#[test]
fn run_d_prints_the_id_before_a_failed_start_and_rm_removes_it() {
    let mut s = Session::new();
    let (stdout, _, exit) = s.cli("run -d --name e1d toolbox /nope");
    assert_eq!(stdout.trim().len(), 64);
    assert_eq!(exit, 127);
    s.cli("run --rm --name e1rm toolbox /nope");
    assert_eq!(s.err("inspect e1rm").0, ErrorKind::NotFound);
}

// --- rm, stop, kill, wait, restart (sections 3, 4) ---

#[test]
fn rm_of_a_running_container_needs_force() {
    let mut s = Session::new();
    s.ok("run -d --name e3run toolbox /toolbox sleep");
    let id = s.id("e3run");
    assert_eq!(s.target_err("rm e3run"), (ErrorKind::Conflict, format!(
        "You cannot remove a running container {id}. Stop the container before attempting removal or force remove"
    )));
    assert_eq!(s.cli("rm -f e3run"), ("e3run\n".into(), String::new(), 0));
    let (stdout, stderr, exit) = s.cli("rm -f nosuchctr");
    assert_eq!(
        (stdout.as_str(), stderr.as_str(), exit),
        (
            "",
            "Error response from daemon: No such container: nosuchctr\n",
            0
        )
    );
    s.ok("create --name e3a toolbox");
    s.ok("create --name e3b toolbox");
    let (stdout, stderr, exit) = s.cli("rm e3a nosuchctr e3b");
    assert_eq!(stdout, "e3a\ne3b\n");
    assert_eq!(
        stderr,
        "Error response from daemon: No such container: nosuchctr\n"
    );
    assert_eq!(exit, 1);
}

#[test]
fn stop_sends_term_then_kill() {
    let mut s = Session::new();
    s.ok("run -d --name plain toolbox /toolbox sleep");
    s.ok("run -d --name handler toolbox /toolbox on-term 3 sleep");
    s.ok("run -d --name ignorer toolbox /toolbox ignore-term sleep");
    for name in ["plain", "handler", "ignorer"] {
        assert!(s.target(&format!("stop -t 1 {name}")).is_ok());
    }
    assert_eq!(s.state("plain"), (State::Exited, 137));
    assert_eq!(s.state("handler"), (State::Exited, 3));
    assert_eq!(s.state("ignorer"), (State::Exited, 137));
    // Stopping a stopped (or never started) container is a 304 the CLI reports as success.
    assert_eq!(s.target_err("stop plain").0, ErrorKind::NotModified);
    assert_eq!(s.cli("stop plain"), ("plain\n".into(), String::new(), 0));
}

#[test]
fn stop_with_no_grace_races_the_handler() {
    let mut s = Session::new();
    s.ok("run -d --name hh toolbox /toolbox on-term 3 sleep");
    match s.answer("stop -t 0 hh") {
        Answer::Any(branches) => {
            let codes: Vec<i32> = branches
                .iter()
                .map(|(_, model)| {
                    model
                        .containers()
                        .find(|c| &*c.name == "/hh")
                        .unwrap()
                        .exit_code
                })
                .collect();
            assert_eq!(codes, vec![3, 137]);
        }
        Answer::One(o) => panic!("expected a race, got {o:?}"),
    }
}

#[test]
fn kill_delivers_signals_as_pid_1_receives_them() {
    let mut s = Session::new();
    s.ok("run -d --name kk toolbox /toolbox sleep");
    assert!(s.target("kill -s TERM kk").is_ok());
    assert_eq!(
        s.state("kk").0,
        State::Running,
        "PID 1 without a handler ignores SIGTERM"
    );
    assert!(s.target("kill -s USR1 kk").is_ok());
    assert_eq!(s.state("kk").0, State::Running);
    assert!(s.target("kill kk").is_ok());
    assert_eq!(s.state("kk"), (State::Exited, 137));
    let id = s.id("kk");
    assert_eq!(
        s.target_err("kill kk"),
        (
            ErrorKind::Conflict,
            format!("Cannot kill container: kk: Container {id} is not running")
        )
    );
    assert_eq!(
        s.err("kill -s BOGUS kk"),
        (ErrorKind::InvalidParameter, "Invalid signal: BOGUS".into())
    );
    assert_eq!(s.err("kill -s 0 kk").1, "Invalid signal: 0");
}

#[test]
fn wait_answers_at_once_for_containers_that_are_not_running() {
    let mut s = Session::new();
    s.ok("create --name cc toolbox");
    assert!(matches!(
        s.target("wait cc"),
        Ok(Response::Waited { status: 0 })
    ));
    s.ok("run --name ee toolbox /toolbox exit 3");
    assert_eq!(s.cli("wait ee").0, "3\n");
    s.ok("run -d --name rr toolbox /toolbox sleep");
    assert!(matches!(s.target("wait rr"), Ok(Response::Blocked)));
}

#[test]
fn restart_starts_created_and_exited_containers_and_keeps_logs() {
    let mut s = Session::new();
    s.ok("create --name cc toolbox /toolbox out again");
    assert!(s.target("restart cc").is_ok());
    assert!(s.target("restart cc").is_ok());
    match s.ok("logs cc") {
        Response::Logs(chunks) => assert_eq!(chunks.len(), 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn start_of_a_running_container_is_not_modified() {
    let mut s = Session::new();
    s.ok("run -d --name rr toolbox /toolbox sleep");
    assert_eq!(s.target_err("start rr").0, ErrorKind::NotModified);
    assert_eq!(s.cli("start rr"), ("rr\n".into(), String::new(), 0));
}

#[test]
fn auto_remove_containers_are_gone_after_exit() {
    let mut s = Session::new();
    let (stdout, _, exit) = s.cli("run --rm --name gone toolbox /toolbox out bye exit 4");
    assert_eq!((stdout.as_str(), exit), ("bye\n", 4));
    assert_eq!(s.err("inspect gone").0, ErrorKind::NotFound);
    s.ok("run -d --rm --name later toolbox /toolbox sleep");
    assert!(s.target("kill later").is_ok());
    assert_eq!(s.err("inspect later").0, ErrorKind::NotFound);
}

// --- programs and logs (section 12) ---

#[test]
fn toolbox_programs_are_predicted_exactly() {
    let mut s = Session::new();
    s.ok("pull toolbox");
    let (stdout, stderr, exit) = s.cli("run --name pp toolbox /toolbox out a err b hostname pid uid env PATH cat /data/seed.txt exit 5");
    let id = s.id("pp");
    assert_eq!(
        stdout,
        format!(
            "a\n{}\n1\n0\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nseed\n",
            &id[..12]
        )
    );
    assert_eq!((stderr.as_str(), exit), ("b\n", 5));
    assert_eq!(s.cli("logs pp").1, "b\n");
    let (_, stderr, exit) = s.cli("run toolbox /toolbox cat /data/missing");
    assert_eq!(
        (stderr.as_str(), exit),
        ("toolbox: cat /data/missing: No such file or directory\n", 1)
    );
    let (stdout, _, _) = s.cli("run hello-world");
    assert_eq!(stdout, berth_model::program::HELLO_TEXT);
}

// --- images, pull, tag (sections 7, 8, 9) ---

#[test]
fn pull_reports_layers_and_up_to_date() {
    let mut s = Session::new();
    let (stdout, _, exit) = s.cli("pull hello-world");
    assert_eq!(exit, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "Using default tag: latest");
    assert_eq!(lines[1], "latest: Pulling from library/hello-world");
    assert!(lines[2].ends_with(": Pulling fs layer"));
    assert!(
        lines[lines.len() - 2].starts_with("Status: Downloaded newer image for hello-world:latest")
    );
    assert_eq!(
        lines[lines.len() - 1],
        "docker.io/library/hello-world:latest"
    );
    let (stdout, _, _) = s.cli("pull hello-world:latest");
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    assert!(stdout.contains("Status: Image is up to date for hello-world:latest"));
    // A base layer shared with another image is not downloaded again.
    let (stdout, _, _) = s.cli("pull hello-world:base");
    assert!(
        stdout.contains("Already exists") || !stdout.contains("Pull complete"),
        "{stdout}"
    );
    assert_eq!(
        s.err("pull nosuch"),
        (
            ErrorKind::NotFound,
            "manifest for nosuch:latest not found: manifest unknown: manifest unknown".into()
        )
    );
}

#[test]
fn tags_move_and_ids_do_not() {
    let mut s = Session::new();
    s.ok("pull toolbox");
    let old = s.id("toolbox");
    s.ok("remote-retag hello-world toolbox");
    s.ok("pull toolbox");
    let new = s.id("toolbox");
    assert_ne!(old, new);
    // The old image keeps its digest reference, so it lists as `toolbox <none>` (section 9).
    let (stdout, _, _) = s.cli("images");
    assert!(
        stdout.contains(&format!("toolbox      <none>    {}", &old[7..19])),
        "{stdout}"
    );
    assert!(s.ok(&format!("inspect {}", &old[7..12])) != Response::Tagged);
}

#[test]
fn tag_targets_are_checked_like_the_cli() {
    let mut s = Session::new();
    s.ok("pull toolbox");
    assert!(matches!(s.ok("tag toolbox mine:v1"), Response::Tagged));
    assert_eq!(
        s.cli("tag toolbox mine:v1"),
        (String::new(), String::new(), 0)
    );
    let (_, stderr, exit) = s.cli("tag toolbox UPPER");
    assert_eq!(
        stderr,
        "Error parsing reference: \"UPPER\" is not a valid repository/tag: invalid reference format: repository name (library/UPPER) must be lowercase\n"
    );
    assert_eq!(exit, 1);
    assert_eq!(s.err("tag nosuch x").1, "No such image: nosuch:latest");
}

#[test]
fn images_hide_untagged_parents_without_all() {
    let mut s = Session::new();
    s.ok("run --name ww toolbox /toolbox write /data/x y");
    let committed = match s.ok("commit ww") {
        Response::Committed { id } => id,
        other => panic!("{other:?}"),
    };
    s.ok("run --name w2 toolbox:latest /toolbox out x");
    s.ok(&format!("tag {} child-parent", committed.as_str()));
    s.ok("run --name w3 child-parent /toolbox write /data/z z");
    s.ok("commit w3 child");
    s.ok("rm w3");
    s.ok("rmi child-parent");
    let count = |r: Response| match r {
        Response::Images(list) => list.len(),
        other => panic!("{other:?}"),
    };
    let shown = count(s.ok("images"));
    let all = count(s.ok("images -a"));
    assert_eq!(all, shown + 1, "the untagged parent shows only with -a");
}

#[test]
fn image_prefixes_resolve_and_ambiguity_is_not_found() {
    let mut s = Session::new();
    s.ok("pull toolbox");
    let id = s.id("toolbox");
    assert!(matches!(
        s.ok(&format!("inspect sha256:{}", &id[7..10])),
        Response::InspectImage(_)
    ));
    assert_eq!(s.target_err("rmi nosuch").1, "No such image: nosuch:latest");
    let (kind, message) = s.target_err("rmi FOO");
    assert_eq!(
        (kind, message.as_str()),
        (
            ErrorKind::InvalidParameter,
            "invalid reference format: repository name must be lowercase"
        )
    );
}

// --- rmi (section 6) ---

fn deleted(response: Response) -> Vec<DeleteItem> {
    match response {
        Response::PerTarget(mut r) => match r.remove(0).1 {
            Ok(Response::ImageDeleted(items)) => items,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn rmi_conflicts_in_every_form() {
    let mut s = Session::new();
    s.ok("pull toolbox");
    let image = s.id("toolbox");
    let img12 = &image[7..19];
    s.ok("run -d --name running toolbox /toolbox sleep");
    let running = s.id("running")[..12].to_string();
    assert_eq!(
        s.target_err(&format!("rmi {img12}")),
        (ErrorKind::Conflict, format!("conflict: unable to delete {img12} (cannot be forced) - image is being used by running container {running}"))
    );
    assert_eq!(
        s.target_err(&format!("rmi -f {img12}")).1,
        format!("conflict: unable to delete {img12} (cannot be forced) - image is being used by running container {running}")
    );
    assert_eq!(
        s.target_err("rmi toolbox").1,
        format!("conflict: unable to remove repository reference \"toolbox\" (must force) - container {running} is using its referenced image {img12}")
    );
    s.ok("rm -f running");
    s.ok("create --name stopped toolbox");
    let stopped = s.id("stopped")[..12].to_string();
    assert_eq!(
        s.target_err(&format!("rmi {img12}")).1,
        format!("conflict: unable to delete {img12} (must be forced) - image is being used by stopped container {stopped}")
    );
    s.ok("tag toolbox other:v1");
    assert_eq!(
        s.target_err(&format!("rmi {img12}")).1,
        format!("conflict: unable to delete {img12} (must be forced) - image is referenced in multiple repositories")
    );
    // Untagging one of several references needs no force and deletes nothing else.
    assert_eq!(
        deleted(s.ok("rmi other:v1")),
        vec![DeleteItem::Untagged("other:v1".into())]
    );
}

#[test]
fn rmi_f_by_tag_with_a_running_container_only_untags() {
    let mut s = Session::new();
    s.ok("pull toolbox");
    s.ok("run -d --name running toolbox /toolbox sleep");
    let items = deleted(s.ok("rmi -f toolbox"));
    assert!(
        items.iter().all(|i| matches!(i, DeleteItem::Untagged(_))),
        "{items:?}"
    );
    assert_eq!(items[0], DeleteItem::Untagged("toolbox:latest".into()));
}

#[test]
fn rmi_deletes_tag_digest_image_and_released_layers() {
    let mut s = Session::new();
    s.ok("pull toolbox");
    let image = s.id("toolbox");
    let (stdout, _, exit) = s.cli("rmi toolbox");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(exit, 0);
    assert_eq!(lines[0], "Untagged: toolbox:latest");
    assert!(
        lines[1].starts_with("Untagged: toolbox@sha256:"),
        "{stdout}"
    );
    assert_eq!(lines[2], format!("Deleted: {image}"));
    assert_eq!(lines.len(), 4, "one layer released: {stdout}");
}

#[test]
fn rmi_of_a_parent_with_children_cannot_be_forced() {
    let mut s = Session::new();
    s.ok("pull toolbox");
    let parent = s.id("toolbox");
    s.ok("run --name ww toolbox /toolbox write /data/x y");
    s.ok("commit ww child");
    s.ok("rm ww");
    let p12 = &parent[7..19];
    assert_eq!(
        s.target_err(&format!("rmi -f {p12}")).1,
        format!("conflict: unable to delete {p12} (cannot be forced) - image has dependent child images")
    );
}

#[test]
fn rmi_f_of_an_image_a_stopped_container_uses_keeps_its_layers() {
    let mut s = Session::new();
    s.ok("pull toolbox");
    s.ok("create --name cc toolbox /toolbox out still-runs");
    let items = deleted(s.ok("rmi -f toolbox"));
    assert_eq!(
        items
            .iter()
            .filter(|i| matches!(i, DeleteItem::Deleted(_)))
            .count(),
        1,
        "{items:?}"
    );
    // The container still starts: it holds its image's layers.
    assert_eq!(s.cli("start -a cc").0, "still-runs\n");
}

#[test]
fn commit_records_parent_and_applies_changes() {
    let mut s = Session::new();
    s.ok("run --name ww toolbox /toolbox write /data/new hi rm /data/seed.txt");
    let parent = s.id("toolbox");
    s.ok("commit -c 'CMD [\"/toolbox\",\"ls\",\"/data\"]' -m msg ww toolbox:written");
    match s.ok("inspect toolbox:written") {
        Response::InspectImage(details) => {
            assert_eq!(
                details.image.parent.as_ref().map(|p| p.to_string()),
                Some(parent)
            );
            assert_eq!(
                details.image.config.cmd,
                Some(vec!["/toolbox".into(), "ls".into(), "/data".into()])
            );
            assert_eq!(details.image.provenance.as_ref().unwrap().comment, "msg");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.cli("run --rm toolbox:written").0, "new\n");
    // An unchanged container commits to an image with the same layers (no empty layer).
    s.ok("create --name same toolbox");
    s.ok("commit same unchanged");
    match (s.ok("inspect unchanged"), s.ok("inspect toolbox")) {
        (Response::InspectImage(a), Response::InspectImage(b)) => {
            assert_eq!(a.image.diff_ids(), b.image.diff_ids())
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.err("commit -c 'RUN x' same").1,
        "run is not a valid change command"
    );
}

#[test]
fn ps_shows_the_image_id_once_the_reference_moved() {
    let mut s = Session::new();
    s.ok("create --name cc toolbox");
    s.ok("pull hello-world");
    s.ok("tag hello-world:latest toolbox:latest");
    match s.ok("ps -a") {
        Response::Containers(list) => {
            assert!(list[0].image.starts_with("sha256:"), "{:?}", list[0].image)
        }
        other => panic!("{other:?}"),
    }
}

/// Observed on dockerd 20.10: commit of a container whose image `rmi -f` removed fails with a
/// 500 and creates no image.
#[test]
fn commit_of_a_container_whose_image_was_force_deleted_fails_and_creates_nothing() {
    let mut s = Session::new();
    s.ok("run --name orphan toolbox /toolbox write /data/x y");
    let image = s.id("toolbox");
    s.target("rmi -f toolbox").unwrap();
    let (kind, message) = s.err("commit orphan orphaned:v1");
    assert_eq!(kind, ErrorKind::System);
    assert!(
        message.starts_with(&format!("failed to get digest {image}: open ")),
        "{message}"
    );
    assert!(
        message.ends_with(": no such file or directory"),
        "{message}"
    );
    match s.ok("images -a") {
        Response::Images(list) => assert!(list.is_empty(), "{list:?}"),
        other => panic!("{other:?}"),
    }
}

/// `docker images REF` over an image with several tags lists it once, with only the tags that
/// match (dockerd's reference filter narrows RepoTags); a repository name matches every tag of
/// it; a reference that matches nothing lists nothing, untagged images included.
#[test]
fn images_filtered_by_reference_show_only_the_matching_tags() {
    let mut s = Session::new();
    s.ok("docker pull hello-world");
    s.ok("docker tag hello-world mine:v1");
    s.ok("docker tag hello-world mine:v2");
    s.ok("docker tag hello-world other");
    let rows = |s: &mut Session, line: &str| -> Vec<String> {
        let (out, _, code) = s.cli(line);
        assert_eq!(code, 0, "{line}");
        out.lines()
            .skip(1)
            .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(":"))
            .collect()
    };
    assert_eq!(rows(&mut s, "docker images mine:v1"), ["mine:v1"]);
    assert_eq!(rows(&mut s, "docker images mine"), ["mine:v1", "mine:v2"]);
    assert_eq!(rows(&mut s, "docker images other"), ["other:latest"]);
    assert!(rows(&mut s, "docker images nosuch").is_empty());
    assert_eq!(rows(&mut s, "docker images").len(), 4);
}
