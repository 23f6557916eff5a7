//! `lantern user ...`: passwords from standard input and checked against the policy, every
//! change audited, and the demo's users printed once.

use crate::helpers::TestDb;

const GOOD: &str = "harbour kettle violet 42\n";

#[test]
fn users_are_added_listed_disabled_and_reset_with_every_change_audited() {
    let db = TestDb::sqlite();
    db.run(&[
        "import",
        "areas",
        &db.write("a.csv", "code,name,level\nE07000001,Ashby,lad\n"),
    ])
    .ok();
    db.run_with_input(
        &[
            "user",
            "add",
            "ann.analyst",
            "--role",
            "analyst",
            "--area",
            "E07000001",
        ],
        GOOD,
    )
    .ok();
    // The password policy, the role, the area and a recorder's organisation are checked.
    for (args, input, message) in [
        (
            vec!["user", "add", "bob", "--role", "analyst"],
            "password1234\n",
            "too common",
        ),
        (
            vec!["user", "add", "bob", "--role", "analyst"],
            "short\n",
            "at least 12",
        ),
        (
            vec!["user", "add", "bob", "--role", "analyst"],
            "",
            "standard input",
        ),
        (
            vec!["user", "add", "bob", "--role", "root"],
            GOOD,
            "not one of admin",
        ),
        (
            vec![
                "user",
                "add",
                "bob",
                "--role",
                "analyst",
                "--area",
                "E99999999",
            ],
            GOOD,
            "no such area",
        ),
        (
            vec!["user", "add", "bob", "--role", "recorder"],
            GOOD,
            "needs --organisation",
        ),
        (
            vec!["user", "add", "ann.analyst", "--role", "analyst"],
            GOOD,
            "already exists",
        ),
        (
            vec!["user", "add", "Bob Smith", "--role", "analyst"],
            GOOD,
            "user name",
        ),
    ] {
        let run = db.run_with_input(&args, input);
        assert_eq!(run.code, 1, "{args:?}");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains(input.trim()) || input.trim().is_empty() || input == GOOD);
    }
    db.run_with_input(
        &[
            "user",
            "add",
            "pc.smith",
            "--role",
            "recorder",
            "--organisation",
            "ashvale_police",
        ],
        GOOD,
    )
    .ok();
    let list = db.run(&["user", "list", "--json"]);
    let users: serde_json::Value = serde_json::from_str(&list.ok().stdout).unwrap();
    assert_eq!(users.as_array().unwrap().len(), 2);
    assert_eq!(users[0]["username"], "ann.analyst");
    assert_eq!(users[0]["area"], "E07000001");
    assert_eq!(users[1]["organisation"], "ashvale_police");
    assert!(!list.stdout.contains("argon2"), "hashes are never listed");

    db.run(&["user", "disable", "pc.smith"]).ok();
    assert!(db.run(&["user", "list"]).ok().stdout.contains("disabled"));
    db.run(&["user", "enable", "pc.smith"]).ok();
    db.run(&["user", "set-role", "pc.smith", "--role", "lead"])
        .ok();
    let reset = db.run(&["user", "reset-password", "ann.analyst", "--generate"]);
    assert_eq!(reset.ok().stdout.trim().len(), 24);
    assert_eq!(db.run(&["user", "disable", "nobody"]).code, 1);
    let totp = db.run(&["user", "totp", "ann.analyst"]);
    assert!(
        totp.ok()
            .stdout
            .contains("otpauth://totp/Lantern:ann.analyst?secret="),
        "{}",
        totp.stdout
    );
    db.run(&["user", "totp", "ann.analyst", "--off"]).ok();

    let out = db.path("audit.json");
    db.run(&[
        "audit",
        "export",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ])
    .ok();
    let log = std::fs::read_to_string(&out).unwrap();
    for action in [
        "user_add",
        "user_disable",
        "user_enable",
        "role_change",
        "password_reset",
    ] {
        assert!(
            log.contains(&format!("\"action\": \"{action}\""))
                || log.contains(&format!("\"action\":\"{action}\"")),
            "{action}"
        );
    }
    assert!(log.contains("role recorder -> lead"));
    assert!(
        !log.contains("harbour kettle"),
        "passwords never reach the log"
    );
    db.run(&["audit", "verify"]).ok();
}
