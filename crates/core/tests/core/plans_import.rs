//! The plan importer on the two real plans in `../shared/seeds/` and on three layouts written
//! here (an outline with lettered items, a table with shuffled columns, a table whose merged
//! cells arrive blank), plus the template's round trip and the errors a person sees.

use std::path::PathBuf;

use chrono::NaiveDate;
use lantern_core::import::ImportError;
use lantern_core::plans::{
    AgeGroup, Plan, PlanFormat, PlanOptions, Rag, parse_plan_bytes, read_plan, write,
};

fn seed(name: &str) -> PathBuf {
    std::env::var_os("LANTERN_SEEDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds"))
        .join(name)
}

fn plan_of(file: &str, text: &str) -> Plan {
    match parse_plan_bytes(file, text.as_bytes(), None, &PlanOptions::default()) {
        Ok(p) => p.plan,
        Err(ImportError::Invalid(list)) => panic!(
            "{}",
            list.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
        Err(e) => panic!("{e}"),
    }
}

fn problems(file: &str, text: &[u8]) -> Vec<String> {
    match parse_plan_bytes(file, text, None, &PlanOptions::default()) {
        Ok(p) => panic!("expected problems, got {}", p.plan.tree()),
        Err(ImportError::Invalid(list)) => list.iter().map(ToString::to_string).collect(),
        Err(e) => vec![e.to_string()],
    }
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

#[test]
fn gloucestershire_self_harm_plan_has_5_sections_and_32_numbered_actions() {
    let parsed = read_plan(
        &seed("002_a0f1ed9aa8530709.txt"),
        None,
        &PlanOptions::default(),
    )
    .expect("the plan reads");
    let plan = parsed.plan;
    assert_eq!(plan.title, "Preventing Self-Harm Action Plan");
    let sections: Vec<(&str, usize)> = plan
        .sections
        .iter()
        .map(|s| (s.number.as_str(), s.actions.len()))
        .collect();
    assert_eq!(
        sections,
        [("1", 7), ("2", 11), ("3", 6), ("4", 3), ("5", 5)]
    );
    assert_eq!(plan.action_count(), 32);
    assert_eq!(
        plan.sections[4].title,
        "Developing knowledge, understanding and skills within the Gloucestershire workforce and wider community"
    );
    // Every action is numbered as the plan numbers it: section.outcome.action.
    for (s, a) in plan.actions() {
        assert!(
            a.number.starts_with(&format!("{}.", s.number)),
            "{}",
            a.number
        );
        assert_eq!(a.number.split('.').count(), 3, "{}", a.number);
        assert!(a.status.is_some(), "{} has a status", a.number);
    }
    let a = |n: &str| plan.action(n).unwrap_or_else(|| panic!("no action {n}"));
    // Statuses, with the words kept when the cell says more.
    assert_eq!(a("1.1.1").status.as_deref(), Some("initial meeting"));
    assert_eq!(a("1.2.1").status.as_deref(), Some("underway"));
    assert_eq!(a("1.3.1").status.as_deref(), Some("complete"));
    assert_eq!(a("4.1.3").status.as_deref(), Some("idea"));
    assert_eq!(a("2.3.2").status.as_deref(), Some("awaiting"));
    assert_eq!(
        a("2.3.2").status_note.as_deref(),
        Some("Awaiting result of 2.3.1")
    );
    assert_eq!(
        a("3.1.6").status_note.as_deref(),
        Some("Awaiting imminent MIU pathway publication")
    );
    let count = |s: &str| {
        plan.actions()
            .filter(|(_, a)| a.status.as_deref() == Some(s))
            .count()
    };
    assert_eq!(
        [
            count("idea"),
            count("initial meeting"),
            count("underway"),
            count("awaiting"),
            count("complete")
        ],
        [2, 10, 17, 2, 1]
    );
    // Age groups.
    assert_eq!(a("1.1.1").age_group, Some(AgeGroup::ChildrenAndYoungPeople));
    assert_eq!(a("2.1.1").age_group, Some(AgeGroup::Adults));
    assert_eq!(a("2.1.2").age_group, Some(AgeGroup::AllAges));
    assert_eq!(a("3.1.6").age_group, None);
    // Links: to the plan's own actions and outcomes, and to other documents verbatim.
    assert_eq!(a("2.1.2").links, ["2.3.2", "5.1", "2.2.5"]);
    assert_eq!(a("2.2.3").links, ["3.1.3", "3.1.4"]);
    assert_eq!(a("1.1.1").links, ["Future in Mind Action 1.09"]);
    assert_eq!(
        a("1.2.2").links,
        ["Future in Mind Actions 1.08, 1.11 and 1.15"]
    );
    assert_eq!(a("2.2.2").links, ["NICE QS34 2-5"]);
    assert_eq!(a("5.1.4").links, ["3.1.7", "5.1.1"]);
    // Outcomes hold their actions.
    assert_eq!(a("1.3.3").outcome.as_deref(), Some("1.3"));
    assert_eq!(
        plan.sections[1].outcomes[1].text,
        "Professionals across the system have a common understanding of a coherent all-age self-harm pathway and are confident to use it (NICE QS34 2&3)"
    );
    let graph = plan.internal_links();
    assert!(graph.contains(&("2.1.2".to_owned(), "2.3.2".to_owned())));
    assert!(
        graph.contains(&("2.1.2".to_owned(), "5.1.3".to_owned())),
        "via outcome 5.1"
    );
    assert!(graph.contains(&("1.3.3".to_owned(), "1.1.1".to_owned())));
    // 3.1.7 is named but the plan has no such action: a warning, not a failure.
    assert!(
        parsed
            .warnings
            .iter()
            .any(|w| w.line == 57 && w.message.contains("3.1.7")),
        "{:?}",
        parsed.warnings
    );
}

#[test]
fn lancashire_plan_has_every_section_with_its_priority_groups() {
    let parsed = read_plan(
        &seed("000_f2f0646999b05ea8.txt"),
        None,
        &PlanOptions::default(),
    )
    .expect("the plan reads");
    let plan = parsed.plan;
    assert!(
        plan.title
            .starts_with("All-aged draft Lancashire suicide prevention")
    );
    assert_eq!(plan.period.as_deref(), Some("2024-25"));
    let titles: Vec<(&str, &str)> = plan
        .sections
        .iter()
        .map(|s| (s.number.as_str(), s.title.as_str()))
        .collect();
    assert_eq!(
        titles,
        [
            ("1", "Improve data and evidence"),
            ("2", "Tailored and targeted support to Priority Groups"),
            ("3", "Addressing Risk Factors"),
            ("4", "Online safety, media and technology"),
            (
                "5",
                "Providing effective and appropriate crisis support via a trained workforce"
            ),
            ("6", "Action to tackle means and methods of suicide"),
            ("7", "Providing timely and effective bereavement support"),
            ("8", "Making suicide everyone's business"),
        ]
    );
    assert_eq!(
        plan.sections[1].subsections,
        [
            "Children and young people (CYP)",
            "University and College students",
            "People in contact with the criminal justice system",
            "Pregnant women and new mothers",
            "People who have previous attempted to take their life",
            "People who have Self-harmed",
            "Middle-aged Men",
            "People impacted and perpetrator of domestic abuse",
            "Veterans",
        ]
    );
    assert_eq!(
        plan.sections[2].subsections,
        [
            "Alcohol and drugs use - Addiction",
            "Problematic Gambling - Addiction",
            "Social Isolation and Loneliness"
        ]
    );
    for s in &plan.sections {
        assert!(!s.actions.is_empty(), "section {} has actions", s.number);
        for sub in &s.subsections {
            assert!(
                s.actions.iter().any(|a| a.subsection.as_ref() == Some(sub)),
                "subsection {sub} has actions"
            );
        }
    }
    let find = |start: &str| {
        plan.actions()
            .map(|(_, a)| a)
            .find(|a| a.text.starts_with(start))
            .unwrap_or_else(|| panic!("no action starting {start}"))
    };
    let veterans =
        find("Promote the fast-tracked support via talking therapies available for veterans");
    assert_eq!(
        veterans.leads,
        ["Public health and ICB working with the Lancashire Armed Forces Covenant Hub and Police"]
    );
    assert_eq!(veterans.timescale.as_deref(), Some("End of 2024"));
    assert_eq!(veterans.due, date(2024, 12, 31));
    assert_eq!(veterans.priority_groups, ["Veterans"]);
    assert_eq!(
        veterans.outcome.as_deref(),
        Some("Raise awareness of the support available.")
    );
    assert_eq!(
        veterans.measures[0].text,
        "The uptake levels taking up talking therapies."
    );
    // A merged aim cell: the third veterans action keeps the second's aim.
    let mapping = find(
        "Undertake stakeholder mapping with relevant partners and people with lived experience to gain more knowledge of the current position",
    );
    assert_eq!(
        mapping.outcome.as_deref(),
        Some("Gain wider understanding of the gaps and opportunities to support for veterans.")
    );
    assert!(mapping.leads.is_empty());
    let first = &plan.sections[0].actions[0];
    assert_eq!(first.number, "1.1");
    assert!(
        first
            .text
            .starts_with("ICB led task and finish group initiated")
    );
    assert_eq!(first.leads, ["ICB and public health"]);
    assert_eq!(first.timescale.as_deref(), Some("March 2025"));
    assert_eq!(first.due, date(2025, 3, 31));
    let audit = find("Undertake an all age suicide audit in Lancashire");
    assert_eq!(audit.leads, ["PH Lead"]);
    assert_eq!(audit.timescale.as_deref(), Some("Ongoing"));
    assert_eq!(audit.due, None);
    let bereavement = find("Work with the Bereavement support groups");
    assert_eq!(bereavement.leads, ["ICB", "Public Health"]);
    assert_eq!(bereavement.due, date(2025, 3, 31));
    let smhl = find("Ensure all education settings have Snr Mental Health Leads.");
    assert_eq!(smhl.number, "5.3");
    assert_eq!(
        smhl.measures[0].text,
        "Monitor uptake and follow-up on education settings with no Snr MH Lead (currently 75%)"
    );
    assert_eq!(smhl.outcome.as_deref(), Some("Senior Mental Health Leads"));
    // A row broken across pages joins the action above.
    let hubs = find("Partners to engage with Family Hubs");
    assert!(
        hubs.text.ends_with("including delivering training."),
        "{}",
        hubs.text
    );
    assert!(hubs.leads.contains(&"All agencies".to_owned()));
    assert_eq!(
        hubs.measures.last().map(|m| m.text.as_str()),
        Some(
            "Family Hubs to be aware of partner agencies and monitor engagement and training uptake. Monitor referrals."
        )
    );
    // Paragraphs in a cell: each measure on its own.
    let abuse = find("Taking the learning from domestic abuse related domestic homicide reviews");
    assert_eq!(abuse.measures.len(), 5);
    assert_eq!(abuse.due, date(2025, 9, 30));
    // A theme column (unnamed or RECOMMENDATION) carries down its merged cells.
    let pain = find("Role of PCN's, social prescribing");
    assert_eq!(
        pain.theme.as_deref(),
        Some("PREVENTION & EARLY INTERVENTION")
    );
    // The two rows with a cell beyond the header are reported.
    let lines: Vec<u64> = parsed.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [26, 27]);
}

#[test]
fn a_numbered_outline_with_lettered_items() {
    let text = "\
Ashvale Suicide Prevention Plan 2025-2028
Owner: Ashvale Suicide Prevention Oversight Group

1. Reduce suicide among middle-aged men
1.1 Men in manual trades know where to get help
a) Run a workplace campaign with construction firms (Lead: Ashvale Council; Timescale: March 2026; Status: underway)
b) Train 200 site supervisors in suicide awareness
   Lead: Ashvale Training Hub / Ashvale Council
   Timescale: Q3 2025/26
   Status: Not started
   Measure: Supervisors trained
   Age group: adults
1.2 Men in debt are offered support early
a) Add suicide prevention to the debt advice pathway (Lead: Citizens Advice Ashvale; Timescale: ongoing)

2. Support people bereaved by suicide
- Commission a postvention service (Lead: Ashvale ICB; Timescale: 2025/26; Status: complete)
- Publish a directory of bereavement support
";
    let plan = plan_of("outline.txt", text);
    assert_eq!(plan.title, "Ashvale Suicide Prevention Plan 2025-2028");
    assert_eq!(plan.period.as_deref(), Some("2025-2028"));
    assert_eq!(
        plan.owner.as_deref(),
        Some("Ashvale Suicide Prevention Oversight Group")
    );
    let numbers: Vec<&str> = plan.actions().map(|(_, a)| a.number.as_str()).collect();
    assert_eq!(numbers, ["1.1.a", "1.1.b", "1.2.a", "2.1", "2.2"]);
    let a = |n: &str| plan.action(n).unwrap_or_else(|| panic!("no action {n}"));
    assert_eq!(
        a("1.1.a").text,
        "Run a workplace campaign with construction firms"
    );
    assert_eq!(a("1.1.a").leads, ["Ashvale Council"]);
    assert_eq!(a("1.1.a").due, date(2026, 3, 31));
    assert_eq!(a("1.1.a").status.as_deref(), Some("underway"));
    assert_eq!(
        a("1.1.b").leads,
        ["Ashvale Training Hub", "Ashvale Council"]
    );
    assert_eq!(a("1.1.b").due, date(2025, 12, 31));
    assert_eq!(a("1.1.b").status.as_deref(), Some("not started"));
    assert_eq!(a("1.1.b").measures[0].text, "Supervisors trained");
    assert_eq!(a("1.1.b").age_group, Some(AgeGroup::Adults));
    assert_eq!(a("1.2.a").outcome.as_deref(), Some("1.2"));
    assert_eq!(a("1.2.a").timescale.as_deref(), Some("ongoing"));
    assert_eq!(a("2.1").status.as_deref(), Some("complete"));
    assert_eq!(a("2.1").due, date(2026, 3, 31));
    assert_eq!(a("2.2").text, "Publish a directory of bereavement support");
    assert_eq!(plan.sections[0].outcomes.len(), 2);
}

#[test]
fn a_table_with_shuffled_columns() {
    let text = "\
<b>Ashvale Self-harm Reduction Plan</b>
Priority 1: Safer care after self-harm
Status\tLead partner(s)\tRAG\tTimescale\tACTION\tRef\tAim\tLinks
Underway\tAshvale Hospitals Trust\tGreen\tJune 2026\tOffer every ED attendee a psychosocial assessment\tP1.1\tPeople are assessed\tNICE QS34 2-5
Not started\tAshvale ICB; Ashvale Council\tAmber\t31/12/2025\tAgree a follow-up call within 72 hours of discharge\t\t\tLinked to action 1.1 and 2.1
Priority 2: Schools
Aim\tACTION\tStatus\tTimescale\tLead partner(s)\tRAG
Pupils know where to get help\tDeliver help-seeking lessons\tComplete\tOngoing\tAshvale Education\tGreen
";
    let plan = plan_of("shuffled.txt", text);
    assert_eq!(plan.title, "Ashvale Self-harm Reduction Plan");
    assert_eq!(plan.sections.len(), 2);
    assert_eq!(plan.sections[0].title, "Safer care after self-harm");
    let actions: Vec<_> = plan.actions().map(|(_, a)| a).collect();
    assert_eq!(actions.len(), 3);
    assert_eq!(actions[0].number, "P1.1");
    assert_eq!(
        actions[0].text,
        "Offer every ED attendee a psychosocial assessment"
    );
    assert_eq!(actions[0].leads, ["Ashvale Hospitals Trust"]);
    assert_eq!(actions[0].rag, Some(Rag::Green));
    assert_eq!(actions[0].status.as_deref(), Some("underway"));
    assert_eq!(actions[0].due, date(2026, 6, 30));
    assert_eq!(actions[0].outcome.as_deref(), Some("People are assessed"));
    assert_eq!(actions[0].links, ["NICE QS34 2-5"]);
    assert_eq!(actions[1].number, "1.2");
    assert_eq!(actions[1].leads, ["Ashvale ICB", "Ashvale Council"]);
    assert_eq!(actions[1].rag, Some(Rag::Amber));
    assert_eq!(actions[1].links, ["1.1", "2.1"]);
    assert_eq!(
        actions[1].outcome.as_deref(),
        Some("People are assessed"),
        "a merged aim"
    );
    assert_eq!(actions[2].number, "2.1");
    assert_eq!(actions[2].status.as_deref(), Some("complete"));
    assert_eq!(actions[2].leads, ["Ashvale Education"]);
    assert_eq!(actions[2].timescale.as_deref(), Some("Ongoing"));
}

#[test]
fn a_plan_whose_merged_cells_arrive_blank() {
    let text = "\
## Ashvale self-harm plan

1. Earlier help for young people
Theme\tOutcome\tNo.\tAction\tLead\tTimescale\tStatus\tAge group
Schools\t1.1 Young people know where to get help\t1.1.1\tDeliver assemblies on help-seeking in every secondary school\tAshvale Education\tJuly 2025\tUnderway\tCYP
\t\t1.1.2\tAdd help-seeking pages to the school app\tAshvale Education\tSeptember 2025\tIdea\tCYP
\t1.2 Staff respond well to disclosures\t1.2.1\tTrain pastoral staff in responding to self-harm\tAshvale CAMHS\tDec 2025\tInitial meeting\tCYP

\t\t1.2.2\tRun reflective practice groups for pastoral leads, led by\tAshvale CAMHS\t\t\t
\t\t\tthe educational psychology service\t\tMarch 2026\tPaused\t
Primary care\t\t1.2.3\tOffer GP practices a self-harm consultation template\tAshvale ICB\t2025/26\tNot started\tAll ages
";
    let plan = plan_of("merged.txt", text);
    assert_eq!(plan.title, "Ashvale self-harm plan");
    let a = |n: &str| plan.action(n).unwrap_or_else(|| panic!("no action {n}"));
    assert_eq!(plan.action_count(), 5);
    assert_eq!(a("1.1.2").outcome.as_deref(), Some("1.1"));
    assert_eq!(a("1.1.2").theme.as_deref(), Some("Schools"));
    assert_eq!(a("1.2.1").theme.as_deref(), Some("Schools"));
    assert_eq!(a("1.2.2").outcome.as_deref(), Some("1.2"));
    assert_eq!(
        a("1.2.2").text,
        "Run reflective practice groups for pastoral leads, led by the educational psychology service"
    );
    assert_eq!(a("1.2.2").timescale.as_deref(), Some("March 2026"));
    assert_eq!(a("1.2.2").status.as_deref(), Some("paused"));
    assert_eq!(a("1.2.3").theme.as_deref(), Some("Primary care"));
    assert_eq!(a("1.2.3").outcome.as_deref(), Some("1.2"));
    assert_eq!(a("1.2.3").age_group, Some(AgeGroup::AllAges));
    assert_eq!(a("1.2.3").due, date(2026, 3, 31));
    assert_eq!(plan.sections[0].outcomes.len(), 2);
}

#[test]
fn the_template_round_trips_through_csv_and_xlsx() {
    let mut plan = plan_of("shuffled.txt", "\
Ashvale plan
1. Men
No.\tAction\tLead\tTimescale\tStatus\tAge group\tMeasure\tLinks
1.1\tRun a campaign\tAshvale Council\tMarch 2026\tUnderway\tAdults\tCampaign reach\t1.2
1.2\tTrain supervisors\tAshvale Hub\tongoing\tAwaiting funding decision\tAll ages\tSupervisors trained\tNICE QS34 2-5
");
    plan.sections[0].actions[0].measures[0].indicator = Some(
        lantern_core::plans::live::Binding::parse(
            "indicators:dataset=suicides&by=year,sex where sex=male",
        )
        .expect("binding"),
    );
    plan.sections[0].actions[0].measures[0].baseline = Some(12.0);
    plan.sections[0].actions[0].measures[0].target = Some(9.0);
    plan.sections[0].actions[0]
        .measures
        .push(lantern_core::plans::Measure::text("Second measure"));
    // A due date agreed in an update moves the timescale's, and comes back as agreed.
    let agreed = NaiveDate::from_ymd_opt(2026, 9, 30);
    assert_ne!(plan.sections[0].actions[0].due, agreed);
    plan.sections[0].actions[0].due = agreed;
    plan.sections[0].actions[0].agreed_due = agreed;
    let mut csv = Vec::new();
    write::write_csv(std::slice::from_ref(&plan), &mut csv).expect("csv");
    let again = parse_plan_bytes("plan.csv", &csv, None, &PlanOptions::default())
        .expect("reads back")
        .plan;
    assert_eq!(again.sections, plan.sections);
    assert_eq!(again.title, plan.title);
    let xlsx = write::xlsx_bytes(std::slice::from_ref(&plan)).expect("xlsx");
    let again = parse_plan_bytes("plan.xlsx", &xlsx, None, &PlanOptions::default())
        .expect("reads back")
        .plan;
    assert_eq!(again.sections, plan.sections);
}

#[test]
fn the_documented_template_imports() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/templates/plan.csv");
    let parsed = read_plan(&path, Some(PlanFormat::Csv), &PlanOptions::default()).expect("reads");
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert!(parsed.plan.action_count() >= 3);
    assert!(
        parsed
            .plan
            .actions()
            .any(|(_, a)| a.measures.iter().any(|m| m.indicator.is_some()))
    );
}

#[test]
fn problems_name_their_lines_and_nothing_is_read() {
    let p = problems(
        "bad.txt",
        b"Plan\n1. One\nNo.\tAction\tStatus\tAge group\n1.1\tDo it\tVague\tCYP\n1.1\tDo it again\tIdea\tteens\n",
    );
    assert_eq!(
        p,
        [
            "bad.txt:4: Status: 'Vague' is not one of the plan's statuses (idea, initial meeting, underway, awaiting, complete, not started, paused, cancelled); give the plan's own list with --statuses",
            "bad.txt:5: No.: action 1.1 appears twice (first on line 4)",
        ]
    );
    let p = problems(
        "bad.txt",
        b"Plan\n1. One\nAction\tAge group\nDo it\tteens\n",
    );
    assert_eq!(
        p,
        [
            "bad.txt:4: Age group: 'teens' is not an age group (children and young people or CYP; adults; all ages or both)"
        ]
    );
    let p = problems("rows.txt", b"Plan\nx\ty\tz\n");
    assert!(
        p[0].starts_with("rows.txt:2: -: a table row before any header row"),
        "{p:?}"
    );
    let p = problems("empty.txt", b"Just a title\n");
    assert!(
        p[0].starts_with("empty.txt:1: -: no actions found"),
        "{p:?}"
    );
    // Windows-1252 text is read as such: the heading keeps its accent, and the plan has no
    // actions, so it is refused for that.
    let p = problems("latin1.txt", b"Plan\n1. Caf\xe9\n");
    assert!(
        p[0].starts_with("latin1.txt:1: -: no actions found"),
        "{p:?}"
    );
    let latin = lantern_core::plans::parse::parse_plan_bytes(
        "latin1.txt",
        b"Plan\n1. Caf\xe9 culture\na) Open a caf\xe9\n",
        Some(lantern_core::plans::PlanFormat::Document),
        &lantern_core::plans::PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(latin.plan.sections[0].title, "Café culture");
    let p = problems("plan.xlsx", b"PK\x03\x04 not really a workbook");
    assert!(p[0].contains("plan.xlsx"), "{p:?}");
}

#[test]
fn a_plan_may_name_its_own_statuses() {
    let opts = PlanOptions {
        statuses: vec!["planned".to_owned(), "doing".to_owned(), "done".to_owned()],
        ..PlanOptions::default()
    };
    let plan = parse_plan_bytes(
        "own.txt",
        b"Plan\n1. One\nAction\tStatus\nDo it\tDoing\n",
        None,
        &opts,
    )
    .expect("reads")
    .plan;
    assert_eq!(plan.sections[0].actions[0].status.as_deref(), Some("doing"));
    assert_eq!(plan.statuses, ["planned", "doing", "done"]);
}
