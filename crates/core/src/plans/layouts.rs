//! Plans in layouts the importer was not built from, written here in the shapes partnerships'
//! documents take: each must import to the right sections and actions. A layout the importer
//! cannot read is refused with a message that names `--columns` and `--sections`, and imports
//! once they are given.

use super::parse::{PlanFormat, PlanOptions, parse_plan_bytes};
use super::{Action, Plan};
use crate::import::ImportError;

fn read(name: &str, text: &str, format: PlanFormat, opts: &PlanOptions) -> Plan {
    match parse_plan_bytes(name, text.as_bytes(), Some(format), opts) {
        Ok(p) => p.plan,
        Err(ImportError::Invalid(problems)) => {
            let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
            panic!("{name}:\n{}", shown.join("\n"))
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

/// `(section number, section title, action numbers)` of a plan.
fn shape(plan: &Plan) -> Vec<(String, String, Vec<String>)> {
    plan.sections
        .iter()
        .map(|s| {
            (
                s.number.clone(),
                s.title.clone(),
                s.actions.iter().map(|a| a.number.clone()).collect(),
            )
        })
        .collect()
}

fn action<'p>(plan: &'p Plan, number: &str) -> &'p Action {
    plan.sections
        .iter()
        .flat_map(|s| &s.actions)
        .find(|a| a.number == number)
        .unwrap_or_else(|| panic!("no action {number} in {:?}", shape(plan)))
}

fn owned(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// `Priority 1:` headings; a table whose actions are numbered afresh in each section; other
/// words for the columns (objective, deliverable, responsible, by when, RAG).
const PRIORITY_TABLES: &str = "Ashvale Suicide Prevention Action Plan 2025-28\n\
Priority 1: Reduce the risk in high-risk groups\n\
No.\tObjective\tDeliverable\tResponsible\tBy when\tRAG\n\
1\tMen in mid-life are reached\tRun a campaign with local football clubs\tPublic Health\tMarch 2026\tGreen\n\
2\t\tTrain barbers as community listeners\tMind\tJune 2026\tAmber\n\
Priority 2: Support people bereaved by suicide\n\
No.\tObjective\tDeliverable\tResponsible\tBy when\tRAG\n\
1\tEvery family is offered support within 72 hours\tCommission a postvention service\tICB\tApril 2026\tRed\n";

/// `Theme 2 -` headings with outline actions lettered three ways: `a.`, `(b)`, `c)`.
const THEME_OUTLINE: &str = "Borough Suicide Prevention Strategy\n\
Theme 1 - Awareness\n\
a. Publish the local suicide prevention directory\n\
(b) Hold a World Suicide Prevention Day event\n\
c) Brief every GP practice on safety planning\n\
Theme 2 - Data and surveillance\n\
a. Review real-time surveillance monthly\n\
(b) Share the annual audit with partners\n";

/// Numbered headings, a table with no action numbers at all, and the words specific outcome,
/// actions, lead, milestones, progress.
const NUMBERED_NO_NUMBERS: &str = "Action plan\n\
1. Children and young people\n\
Specific outcome\tActions\tLead\tMilestones\tProgress\n\
Schools have a self-harm protocol\tWrite a model protocol\tEducation\tSeptember 2025\tIn progress\n\
\tOffer it to every secondary school\tEducation\tDecember 2025\tNot started\n\
2. Means restriction\n\
Specific outcome\tActions\tLead\tMilestones\tProgress\n\
Fewer deaths at the viaduct\tInstall signs with helpline numbers\tNetwork Rail\tMarch 2026\tComplete\n";

/// `Objective 3` headings (no colon), an outcome row spanning several actions (merged cells
/// arrive blank), and monitoring and measure-of-success columns.
const OBJECTIVE_SPANS: &str = "Partnership plan 2025/26\n\
Objective 3 Improve data\n\
Outcome\tAction\tMeasure of success\tOwner\tTimescale\tStatus\n\
Partners share data on time\tAgree a data-sharing agreement\tSigned by all partners\tPublic Health\tQ1 2026\tOn track\n\
\tSet up a monthly data meeting\tMeetings held\tPublic Health\tOngoing\tOn track\n\
\tPublish a dashboard\tDashboard live\tICB\tQ3 2026\tNot started\n\
Objective 4 Workforce\n\
Outcome\tAction\tMeasure of success\tOwner\tTimescale\tStatus\n\
Staff feel confident\tOffer suicide awareness training\t200 staff trained\tHR\tMarch 2026\tNot started\n";

/// A spreadsheet (CSV) with a section column and its title, and aim, what we will do,
/// monitoring, who, by when, RAG.
const CSV_OTHER_WORDS: &str = "Section number,Section title,Aim,What we will do,Monitoring,Who,By when,RAG\n\
1,Prevention,Fewer people reach crisis,Fund a crisis café,Visits per month,ICB,2026-03-31,Green\n\
1,Prevention,,Extend the café's hours,Hours open,ICB,2026-09-30,Amber\n\
2,Postvention,Families are supported,Refer every family to the service,Referrals made,Coroner,2026-01-31,Red\n";

#[test]
fn five_layouts_import_to_the_right_sections_and_actions() {
    let opts = PlanOptions::default();
    let p = read("priority.txt", PRIORITY_TABLES, PlanFormat::Document, &opts);
    assert_eq!(
        shape(&p),
        [
            (
                "1".into(),
                "Reduce the risk in high-risk groups".into(),
                owned(&["1.1", "1.2"])
            ),
            (
                "2".into(),
                "Support people bereaved by suicide".into(),
                owned(&["2.1"])
            ),
        ]
    );
    assert_eq!(action(&p, "1.2").leads, ["Mind"]);
    assert_eq!(
        action(&p, "1.2").outcome.as_deref(),
        Some("Men in mid-life are reached"),
        "a blank objective repeats the one above"
    );

    let p = read("theme.txt", THEME_OUTLINE, PlanFormat::Document, &opts);
    assert_eq!(
        shape(&p),
        [
            (
                "1".into(),
                "Awareness".into(),
                owned(&["1.a", "1.b", "1.c"])
            ),
            (
                "2".into(),
                "Data and surveillance".into(),
                owned(&["2.a", "2.b"])
            ),
        ]
    );

    let p = read(
        "numbered.txt",
        NUMBERED_NO_NUMBERS,
        PlanFormat::Document,
        &opts,
    );
    assert_eq!(
        shape(&p),
        [
            (
                "1".into(),
                "Children and young people".into(),
                owned(&["1.1", "1.2"])
            ),
            ("2".into(), "Means restriction".into(), owned(&["2.1"])),
        ]
    );
    assert_eq!(
        action(&p, "1.2").timescale.as_deref(),
        Some("December 2025")
    );

    let p = read(
        "objective.txt",
        OBJECTIVE_SPANS,
        PlanFormat::Document,
        &opts,
    );
    assert_eq!(
        shape(&p),
        [
            (
                "3".into(),
                "Improve data".into(),
                owned(&["3.1", "3.2", "3.3"])
            ),
            ("4".into(), "Workforce".into(), owned(&["4.1"])),
        ]
    );
    for n in ["3.1", "3.2", "3.3"] {
        assert_eq!(
            action(&p, n).outcome.as_deref(),
            Some("Partners share data on time"),
            "{n}"
        );
    }
    assert_eq!(action(&p, "3.3").measures[0].text, "Dashboard live");

    let p = read("plan.csv", CSV_OTHER_WORDS, PlanFormat::Csv, &opts);
    assert_eq!(
        shape(&p),
        [
            ("1".into(), "Prevention".into(), owned(&["1.1", "1.2"])),
            ("2".into(), "Postvention".into(), owned(&["2.1"])),
        ]
    );
    assert_eq!(action(&p, "1.2").measures[0].text, "Hours open");
    assert_eq!(action(&p, "2.1").leads, ["Coroner"]);
}

/// Pillars, not priorities, and an "intervention" column: nothing the importer knows.
const UNKNOWN: &str = "Pillar 1 » Community\n\
Intervention\tPartner\tDeadline\tRAG\n\
Open a men's shed\tAge UK\tMay 2026\tGreen\n\
Pillar 2 » Clinical\n\
Intervention\tPartner\tDeadline\tRAG\n\
Safety plans for every patient\tTrust\tJuly 2026\tAmber\n";

#[test]
fn a_layout_it_cannot_read_is_refused_naming_the_options_and_imports_once_given_them() {
    let opts = PlanOptions::default();
    let Err(ImportError::Invalid(problems)) = parse_plan_bytes(
        "pillars.txt",
        UNKNOWN.as_bytes(),
        Some(PlanFormat::Document),
        &opts,
    ) else {
        panic!("expected the layout to be refused");
    };
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        shown
            .iter()
            .any(|p| p.contains("--columns") && p.contains("--sections")),
        "{shown:?}"
    );
    let opts = PlanOptions {
        columns: super::parse::parse_columns("Intervention=action,Partner=lead").unwrap(),
        sections: Some(super::parse::SectionPattern::parse("Pillar {n} »").unwrap()),
        ..PlanOptions::default()
    };
    let p = read("pillars.txt", UNKNOWN, PlanFormat::Document, &opts);
    assert_eq!(
        shape(&p),
        [
            ("1".into(), "Community".into(), owned(&["1.1"])),
            ("2".into(), "Clinical".into(), owned(&["2.1"])),
        ]
    );
    assert_eq!(action(&p, "2.1").leads, ["Trust"]);
    assert_eq!(action(&p, "1.1").timescale.as_deref(), Some("May 2026"));
}
