//! Pieces every view of the page builds with: notes, sections, tables,
//! copy buttons, a labelled text box with its button.

use crate::node::el;

use super::views::{Hook, Html, Msg};

/// A line that stands where a view's content will be, or says why it is not.
pub fn note(text: &str) -> Html {
    el("p", "pd-note").text(text)
}

pub fn section(title: &'static str, class: &'static str) -> Html {
    el("section", class).child(el("h2", "pd-heading").text(title))
}

/// A table that scrolls sideways on its own rather than widening the page.
pub fn table(headers: &[&str], rows: impl IntoIterator<Item = Html>) -> Html {
    el("div", "pd-scroll").child(
        el("table", "pd-table")
            .child(
                el("thead", "").child(
                    el("tr", "").children(
                        headers
                            .iter()
                            .map(|h| el("th", "").attr("scope", "col").text(*h)),
                    ),
                ),
            )
            .child(el("tbody", "").children(rows)),
    )
}

pub fn cell(text: impl Into<String>) -> Html {
    el("td", "").text(text)
}

/// Terms and values; a value's class is its hook for tests and styles.
pub fn facts(rows: Vec<(&str, &'static str, String)>) -> Html {
    el("dl", "pd-facts").children(
        rows.into_iter().flat_map(|(term, class, value)| {
            [el("dt", "").text(term), el("dd", class).text(value)]
        }),
    )
}

/// A button that puts `text` on the clipboard (`data-copy` shows what).
pub fn copy_button(label: &'static str, aria_label: String, text: &str) -> Html {
    el("button", "pd-button pd-copy")
        .attr("type", "button")
        .attr("data-copy", text)
        .attr("aria-label", aria_label)
        .on_click(Msg::Copy(text.to_owned()))
        .text(label)
}

/// What a form asks for: the text box's `name`, its label, a placeholder.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub placeholder: &'static str,
    /// When the view needs the box itself (to fill it in).
    pub hook: Option<Hook>,
}

/// A labelled text box and its submit button; submitting sends `msg` with
/// the box's text. The label wraps the input, so no id is needed.
pub fn form(
    class: &'static str,
    field: Field,
    value: &str,
    button: &'static str,
    msg: Msg,
) -> Html {
    let mut input = el("input", "pd-input")
        .attr("name", field.name)
        .attr("type", "text")
        .attr("value", value)
        .attr("placeholder", field.placeholder)
        .attr("autocomplete", "off")
        .attr("autocapitalize", "off")
        .attr("spellcheck", "false");
    input.hook = field.hook;
    el("form", class)
        .on(crate::node::Event::Submit, msg)
        .child(
            el("label", "pd-field")
                .child(el("span", "pd-label").text(field.label))
                .child(input),
        )
        .child(
            el("button", "pd-button")
                .attr("type", "submit")
                .text(button),
        )
}
