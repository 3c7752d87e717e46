//! `model_step`: commands per second through `Model::apply` on a state of about a hundred
//! images and a hundred containers, with a mixed sequence that returns the state to where it
//! started so every iteration measures the same work. Target: 500,000 commands per second.

use berth_model::command::{parse_line, Command};
use berth_model::{Catalog, Model, Profile, SeededEnv};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn apply_lines(model: &mut Model, env: &mut SeededEnv, lines: &[String]) {
    for line in lines {
        let command = parse_line(line)
            .expect("bench lines parse")
            .expect("bench lines are commands");
        model.apply(&command, env);
    }
}

/// ~100 images (fixtures plus commits) and ~100 containers (committed ones, plus sleepers).
fn populated() -> (Model, SeededEnv) {
    let mut model = Model::new(Profile::Docker2010, Catalog::fixtures());
    let mut env = SeededEnv::with_seed(1);
    let mut setup: Vec<String> = [
        "pull toolbox",
        "pull hello-world",
        "pull hello-world:base",
        "pull busybox",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for i in 0..94 {
        setup.push(format!(
            "run --name w{i} toolbox /toolbox write /data/f{i} x{i}"
        ));
        setup.push(format!("commit w{i} img{i}:v1"));
    }
    for i in 0..6 {
        setup.push(format!(
            "run -d --name sleeper{i} toolbox /toolbox on-term 0 sleep"
        ));
    }
    apply_lines(&mut model, &mut env, &setup);
    assert!(model.images().count() >= 98 && model.containers().count() >= 100);
    (model, env)
}

/// A cycle of common commands, errors included, that leaves the state as it found it.
fn mixed() -> Vec<Command> {
    [
        "inspect w17",
        "inspect img3:v1",
        "ps -a",
        "images",
        "create --name tmp toolbox /toolbox out x",
        "start tmp",
        "logs tmp",
        "rm tmp",
        "run --rm toolbox /toolbox out hi",
        "stop -t 1 sleeper1",
        "start sleeper1",
        "kill -s USR1 sleeper2",
        "tag img3:v1 alias:v1",
        "rmi alias:v1",
        "rename w1 w1x",
        "rename w1x w1",
        "wait w3",
        "rmi nosuch",
        "rm nosuch",
        "commit w5 tmpimg:v1",
        "rmi tmpimg:v1",
        "inspect sleeper3",
        "logs w40",
        "ps",
    ]
    .iter()
    .map(|line| parse_line(line).expect("parses").expect("is a command"))
    .collect()
}

fn model_step(c: &mut Criterion) {
    let (mut model, mut env) = populated();
    let commands = mixed();
    let mut group = c.benchmark_group("model_step");
    group.throughput(Throughput::Elements(commands.len() as u64));
    group.bench_function("mixed_100_images_100_containers", |b| {
        b.iter(|| {
            for command in &commands {
                std::hint::black_box(model.apply(command, &mut env));
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = model_step
}
criterion_main!(benches);
