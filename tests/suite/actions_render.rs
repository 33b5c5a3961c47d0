//! Hostile label values (issue 6 §8) end up verbatim as single argv elements: no splitting, no
//! re-expansion of placeholders inside values, nothing interpreted.

use std::collections::BTreeMap;

use flightdeck::actions::{render_argv, shell_env};

fn hostile() -> Vec<String> {
    vec![
        "; rm -rf /".into(),
        "$(id)".into(),
        "`id`".into(),
        "a\nb\r\nc".into(),
        "-rf".into(),
        "--kubeconfig=/tmp/evil".into(),
        "'\"quoted\"'".into(),
        "\u{202e}evil\u{202c}".into(),
        "\u{200f}rtl\u{200e}".into(),
        "x".repeat(100_000),
        String::new(),
        " spaced  out ".into(),
        "{{labels.other}}".into(),
        "{{annotations.summary}}".into(),
        "$HOME ${PATH} %s %n".into(),
        "a|b&&c||d>e<f".into(),
        "tab\there".into(),
        "nul\0byte".into(),
        "ünïcödé 日本語 🚀".into(),
        "\\\\server\\share".into(),
    ]
}

#[test]
fn hostile_values_stay_single_verbatim_elements() {
    let template: Vec<String> = vec![
        "kubectl".into(),
        "-n".into(),
        "{{labels.namespace}}".into(),
        "logs".into(),
        "pod/{{labels.pod}}".into(),
        "--".into(),
        "{{annotations.summary}}".into(),
    ];
    for value in hostile() {
        let labels: BTreeMap<String, String> = [
            ("namespace".to_string(), value.clone()),
            ("pod".to_string(), value.clone()),
            ("other".to_string(), "EXPANDED".to_string()),
        ]
        .into();
        let annotations: BTreeMap<String, String> = [("summary".to_string(), value.clone())].into();
        let argv = render_argv(&template, &labels, &annotations).unwrap();
        assert_eq!(
            argv.len(),
            template.len(),
            "{value:?} changed the element count"
        );
        assert_eq!(argv[2], value);
        assert_eq!(argv[4], format!("pod/{value}"));
        assert_eq!(argv[6], value);
        assert!(
            !argv.iter().any(|a| a.contains("EXPANDED")),
            "a value was re-expanded"
        );

        let env = shell_env(&labels, &annotations);
        assert_eq!(env["FD_LABEL_NAMESPACE"], value);
        assert_eq!(env["FD_ANNOTATION_SUMMARY"], value);
    }
}

#[test]
fn hostile_label_names_make_safe_variable_names() {
    let labels: BTreeMap<String, String> = [("a-b.c/d; rm".to_string(), "v".to_string())].into();
    let env = shell_env(&labels, &BTreeMap::new());
    let name = env.keys().next().unwrap();
    assert!(
        name.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
        "{name}"
    );
}
