//! The machine view's table: every TCP listener, sortable and filterable,
//! each row a way into a check. State and rendering only; the view polls the
//! helper and feeds the answers in.

use protocol::Listener;

use crate::page::session::Listing;

use crate::node::el;
use crate::page::check;
use crate::page::views::{self, Html};

use super::{Hook, Msg};

/// A column the table sorts by; its name is the header's `data-column`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Process,
    Pid,
    Address,
    Port,
    Family,
}

const COLUMNS: [(Column, &str, &str); 5] = [
    (Column::Process, "process", "Process"),
    (Column::Pid, "pid", "PID"),
    (Column::Address, "address", "Bound to"),
    (Column::Port, "port", "Port"),
    (Column::Family, "family", "Family"),
];

/// One listener, split into what the table shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub process: String,
    pub pid: Option<u32>,
    /// The bound address without the port: `127.0.0.1`, `::`.
    pub address: String,
    pub port: u16,
    pub ipv6: bool,
}

impl Row {
    pub fn new(listener: &Listener) -> Self {
        let (address, port) = listener
            .local_addr
            .rsplit_once(':')
            .unwrap_or((listener.local_addr.as_str(), ""));
        let ipv6 = address.starts_with('[');
        Self {
            process: listener.process.clone().unwrap_or_default(),
            pid: listener.pid,
            address: address.trim_matches(['[', ']']).to_owned(),
            port: port.parse().unwrap_or(0),
            ipv6,
        }
    }

    /// What to check to reach this listener: its own address, or loopback
    /// of its family for a wildcard bind.
    pub fn target(&self) -> String {
        match (self.address.as_str(), self.ipv6) {
            ("0.0.0.0", _) => format!("127.0.0.1:{}", self.port),
            ("::", _) => format!("[::1]:{}", self.port),
            (address, true) => format!("[{address}]:{}", self.port),
            (address, false) => format!("{address}:{}", self.port),
        }
    }

    fn family(&self) -> &'static str {
        if self.ipv6 { "IPv6" } else { "IPv4" }
    }

    fn matches(&self, needle: &str) -> bool {
        let pid = self.pid.map(|p| p.to_string()).unwrap_or_default();
        [
            self.process.as_str(),
            &pid,
            &self.address,
            &self.port.to_string(),
            self.family(),
        ]
        .iter()
        .any(|field| field.to_ascii_lowercase().contains(needle))
    }
}

#[derive(Debug)]
pub struct Machine {
    rows: Vec<Row>,
    /// Processes the OS hid with their sockets: said under the count.
    hidden_processes: u32,
    sort: Column,
    descending: bool,
    filter: String,
    /// The table is not on screen (a note took its place): the next listing
    /// shows, even when unchanged.
    hidden: bool,
}

impl Default for Machine {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            hidden_processes: 0,
            sort: Column::Port,
            descending: false,
            filter: String::new(),
            hidden: true,
        }
    }
}

impl Machine {
    /// Takes a fresh listing; returns whether anything changed, so an
    /// unchanged table is left alone (and keeps the keyboard focus).
    pub fn update(&mut self, listing: &Listing) -> bool {
        let rows: Vec<Row> = listing.listeners.iter().map(Row::new).collect();
        let changed =
            rows != self.rows || listing.hidden_processes != self.hidden_processes || self.hidden;
        self.rows = rows;
        self.hidden_processes = listing.hidden_processes;
        self.hidden = false;
        changed
    }

    /// A note replaced the table (the helper is gone, or could not list).
    pub fn hide(&mut self) {
        self.hidden = true;
    }

    /// Sorts by `column`; the same column again flips the order.
    pub fn sort_by(&mut self, column: Column) {
        self.descending = self.sort == column && !self.descending;
        self.sort = column;
    }

    pub fn filter(&mut self, text: &str) {
        self.filter = text.trim().to_ascii_lowercase();
    }

    /// The rows to show, filtered and sorted (port, then address, breaks ties).
    pub fn rows(&self) -> Vec<&Row> {
        let mut rows: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| r.matches(&self.filter))
            .collect();
        rows.sort_by(|a, b| {
            let primary = match self.sort {
                Column::Process => a
                    .process
                    .to_ascii_lowercase()
                    .cmp(&b.process.to_ascii_lowercase()),
                Column::Pid => a.pid.cmp(&b.pid),
                Column::Address => a.address.cmp(&b.address),
                Column::Port => a.port.cmp(&b.port),
                Column::Family => a.ipv6.cmp(&b.ipv6),
            };
            let primary = if self.descending {
                primary.reverse()
            } else {
                primary
            };
            primary
                .then(a.port.cmp(&b.port))
                .then(a.address.cmp(&b.address))
        });
        rows
    }

    /// The table: sortable headers (buttons, with `aria-sort`), one row per
    /// listener carrying its check target, and a count.
    pub fn view(&self) -> Html {
        let rows = self.rows();
        let count = match (rows.len(), self.rows.len()) {
            (1, 1) => "1 listener".to_owned(),
            (shown, all) if shown == all => format!("{all} listeners"),
            (shown, all) => format!("{shown} of {all} listeners"),
        };
        let headers = COLUMNS.iter().map(|(column, name, label)| {
            let sort = match (*column == self.sort, self.descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            };
            el("th", "")
                .attr("scope", "col")
                .attr("aria-sort", sort)
                .child(
                    el("button", "pd-sort")
                        .attr("type", "button")
                        .attr("data-column", *name)
                        .hook(views::Hook::Machine(Hook::Sort(*column)))
                        .on_click(views::Msg::Machine(Msg::Sort(*column)))
                        .text(*label),
                )
        });
        let body = rows.iter().map(|row| {
            let target = row.target();
            // A click anywhere on the row checks it; the button is there
            // for the keyboard, and its click bubbles up to the row.
            el("tr", "pd-machine-row")
                .attr("data-target", &target)
                .on_click(views::Msg::Check(check::Msg::Run(target.clone())))
                .attr("data-port", row.port.to_string())
                .attr_opt("data-pid", row.pid.map(|pid| pid.to_string()))
                .child(
                    el("td", "").child(
                        el("button", "pd-link pd-machine-check")
                            .attr("type", "button")
                            .attr("data-target", &target)
                            .attr("aria-label", format!("Check {target}"))
                            .text(if row.process.is_empty() {
                                "—"
                            } else {
                                &row.process
                            }),
                    ),
                )
                .child(el("td", "pd-num").text(row.pid.map(|p| p.to_string()).unwrap_or_default()))
                .child(el("td", "pd-addr").text(&row.address))
                .child(el("td", "pd-num").text(row.port.to_string()))
                .child(el("td", "").text(row.family()))
        });
        let hidden = (self.hidden_processes > 0).then(|| {
            el("p", "pd-note pd-machine-hidden")
                .text(protocol::hidden_processes(self.hidden_processes))
        });
        el("div", "pd-machine-body")
            .child(el("p", "pd-note pd-machine-count").text(count))
            .children(hidden)
            .child(
                el("div", "pd-scroll").child(
                    el("table", "pd-table pd-machine-table")
                        .child(el("thead", "").child(el("tr", "").children(headers)))
                        .child(el("tbody", "").children(body)),
                ),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener(addr: &str, pid: u32, process: &str) -> Listener {
        Listener {
            local_addr: addr.into(),
            pid: Some(pid),
            process: Some(process.into()),
            user: None,
            queue: None,
        }
    }

    fn listing(listeners: &[Listener]) -> Listing {
        Listing {
            listeners: listeners.to_vec(),
            hidden_processes: 0,
        }
    }

    fn machine() -> Machine {
        let mut machine = Machine::default();
        machine.update(&listing(&[
            listener("127.0.0.1:8080", 30, "node"),
            listener("[::]:22", 10, "sshd"),
            listener("0.0.0.0:5432", 20, "postgres"),
            listener("[::1]:8080", 30, "node"),
        ]));
        machine
    }

    fn ports(machine: &Machine) -> Vec<u16> {
        machine.rows().iter().map(|r| r.port).collect()
    }

    #[test]
    fn rows_split_address_port_and_family() {
        let row = Row::new(&listener("[::1]:8080", 1, "node"));
        assert_eq!(
            (row.address.as_str(), row.port, row.ipv6),
            ("::1", 8080, true)
        );
        assert_eq!(row.target(), "[::1]:8080");
        assert_eq!(
            Row::new(&listener("0.0.0.0:80", 1, "x")).target(),
            "127.0.0.1:80"
        );
        assert_eq!(Row::new(&listener("[::]:80", 1, "x")).target(), "[::1]:80");
        assert_eq!(
            Row::new(&listener("127.0.0.2:80", 1, "x")).target(),
            "127.0.0.2:80"
        );
    }

    #[test]
    fn sorts_by_port_then_by_any_column_both_ways() {
        let mut machine = machine();
        assert_eq!(ports(&machine), [22, 5432, 8080, 8080]);
        machine.sort_by(Column::Process);
        assert_eq!(ports(&machine), [8080, 8080, 5432, 22]);
        machine.sort_by(Column::Process);
        assert_eq!(ports(&machine), [22, 5432, 8080, 8080]);
        machine.sort_by(Column::Pid);
        assert_eq!(ports(&machine), [22, 5432, 8080, 8080]);
        machine.sort_by(Column::Family);
        assert_eq!(ports(&machine), [5432, 8080, 22, 8080]);
    }

    #[test]
    fn filters_on_any_field_ignoring_case() {
        let mut machine = machine();
        machine.filter(" NODE ");
        assert_eq!(ports(&machine), [8080, 8080]);
        machine.filter("ipv6");
        assert_eq!(ports(&machine), [22, 8080]);
        machine.filter("543");
        assert_eq!(ports(&machine), [5432]);
        assert_eq!(
            machine.view().find("pd-machine-count").text_content(),
            "1 of 4 listeners"
        );
    }

    #[test]
    fn processes_the_os_hid_are_counted_under_the_table() {
        let mut machine = machine();
        assert!(machine.view().find_all("pd-machine-hidden").is_empty());
        let mut hidden = listing(&[listener("127.0.0.1:8080", 30, "node")]);
        hidden.hidden_processes = 2;
        assert!(machine.update(&hidden));
        assert_eq!(
            machine.view().find("pd-machine-hidden").text_content(),
            "The OS hides 2 other users' processes and their sockets: `sudo portdoctor listeners` lists them too."
        );
        assert!(!machine.update(&hidden));
        hidden.hidden_processes = 0;
        assert!(machine.update(&hidden), "fewer hidden is a change");
    }

    #[test]
    fn an_unchanged_listing_is_not_an_update() {
        let mut machine = machine();
        assert!(!machine.update(&listing(&[
            listener("127.0.0.1:8080", 30, "node"),
            listener("[::]:22", 10, "sshd"),
            listener("0.0.0.0:5432", 20, "postgres"),
            listener("[::1]:8080", 30, "node"),
        ])));
        assert!(machine.update(&listing(&[])));
        assert!(!machine.update(&listing(&[])));
        machine.hide();
        assert!(machine.update(&listing(&[])), "shown again after a note");
    }

    #[test]
    fn the_table_has_sort_buttons_and_rows_that_check() {
        let mut machine = machine();
        machine.sort_by(Column::Port);
        let view = machine.view();
        let headers = view.find_tag("th");
        assert_eq!(headers.len(), 5);
        assert_eq!(headers[3].get("aria-sort"), Some("descending"));
        assert_eq!(headers[0].get("aria-sort"), Some("none"));
        assert_eq!(headers[3].find("pd-sort").get("data-column"), Some("port"));
        let rows = view.find_all("pd-machine-row");
        assert_eq!(rows[0].get("data-target"), Some("127.0.0.1:8080"));
        assert_eq!(rows[0].get("data-pid"), Some("30"));
        let button = rows[0].find("pd-machine-check");
        assert_eq!(button.get("aria-label"), Some("Check 127.0.0.1:8080"));
        assert_eq!(button.text_content(), "node");
        assert_eq!(view.find("pd-machine-count").text_content(), "4 listeners");
        assert_eq!(
            rows[0].sends(crate::node::Event::Click),
            Some(&views::Msg::Check(check::Msg::Run("127.0.0.1:8080".into())))
        );
        assert_eq!(
            headers[1].find("pd-sort").sends(crate::node::Event::Click),
            Some(&views::Msg::Machine(Msg::Sort(Column::Pid)))
        );
    }
}
