"""Campaigns: a finance lead builds a target, previews it, confirms, and follows the run to its result."""

import pandas as pd
import streamlit as st

from dashboard import campaigns, data, ui
from dashboard.data import InvoiceFilters

user = ui.page(
    "Campaigns",
    permission="campaign",
    caption="Mass reminders and resends: target → preview → confirm → progress and result.",
)
snap, engine = ui.snapshot(), ui.engine()
# the preview plans on the staging tables the dunning run reads
ui.require_tables(snap, data.DASHBOARD_INVOICES, "staging.customers", "staging.invoices", "staging.payments")
options = data.filter_options(snap)

st.subheader("1. Target")
preset = st.session_state.get("campaign_target")
mode = st.radio(
    "Choose invoices by",
    ["filters", "selection in a table"],
    horizontal=True,
    key="target_mode",
    index=1 if preset is not None else 0,
)
if mode == "filters":
    seg_col, chan_col = st.columns(2)
    segments = seg_col.multiselect("Segment", options["segments"], key="campaign_segments")
    channels = chan_col.multiselect("Channel", options["channels"], key="campaign_channels")
    over_col, amount_col = st.columns(2)
    min_overdue = over_col.number_input(
        "At least this many days overdue", min_value=-90, max_value=3650, value=1, key="campaign_min_overdue"
    )
    min_amount = amount_col.number_input(
        "Open amount at least", min_value=0, value=0, step=100, key="campaign_min_amount"
    )
    target = campaigns.Target(
        filters=InvoiceFilters(
            segments=tuple(segments),
            channels=tuple(channels),
            min_days_overdue=int(min_overdue),
            min_open_amount=data.Decimal(int(min_amount)) if min_amount else None,
        )
    )
else:
    base = ui.filters()
    candidates = data.invoices_table(
        snap,
        InvoiceFilters(segments=base.segments, channels=base.channels, languages=base.languages, only_open=True),
        limit=2000,
    )
    if preset is not None:  # invoices chosen on another page come first, even beyond the 2,000 listed
        chosen_elsewhere = data.invoices_table(snap, InvoiceFilters(invoice_numbers=preset.invoices))
        candidates = pd.concat([chosen_elsewhere, candidates]).drop_duplicates("invoice_number").reset_index(drop=True)
    preselected = [i for i, n in enumerate(candidates["invoice_number"]) if preset and n in preset.invoices]
    picked = st.dataframe(
        candidates,
        hide_index=True,
        key="campaign_table",
        on_select="rerun",
        selection_mode="multi-row",
        selection_default={"selection": {"rows": preselected}},
    )
    rows = picked.selection.rows or preselected
    chosen = tuple(candidates.iloc[rows]["invoice_number"]) if rows else ()
    st.caption(f"{len(chosen)} invoices selected (open invoices of the sidebar filters, latest due first).")
    target = campaigns.Target(invoices=chosen) if chosen else None

st.subheader("2. Message")
kind_col, choice_col = st.columns(2)
kind = kind_col.radio(
    "Kind",
    campaigns.KINDS,
    horizontal=True,
    key="campaign_kind",
    help="reminder: a dunning step or a template now; resend: the invoice again on the next channel",
)
steps, templates = campaigns.step_templates(), campaigns.template_names()
step = template = None
if kind == "reminder":
    by = choice_col.radio(
        "Send",
        ["a dunning step", "a template"],
        horizontal=True,
        key="campaign_by",
        help="A step is never sent twice to an invoice; a template goes once per request.",
    )
    if by == "a dunning step":
        step = choice_col.selectbox("Step", list(steps), key="campaign_step")
    else:
        template = choice_col.selectbox("Template", templates, key="campaign_template")
reason = st.text_area("Reason (kept with the request and in the audit log)", key="campaign_reason")

st.subheader("3. Preview")
if target is None:
    st.info("Select at least one invoice.")
    st.stop()
preview = campaigns.preview(snap, engine, target, kind=kind, step=step, template=template)
if preview.blocked:
    st.warning(f"The run will be refused: {preview.blocked}. Refresh the payments export first.")
send_col, scheduled_col, handover_col, skipped_col = st.columns(4)
send_col.metric("Sent now", preview.counts.get("send", 0))
scheduled_col.metric("Scheduled", preview.counts.get("scheduled", 0))
handover_col.metric("Handed over", preview.counts.get("handed_over", 0))
skipped_col.metric("Skipped", preview.skipped_count)
amount_col, customers_col, invoices_col = st.columns(3)
amount_col.metric("Open amount", ui.money(preview.amount))
customers_col.metric("Customers", preview.customer_count)
invoices_col.metric("Invoices to send", preview.invoice_count)
st.caption(
    "Planned by the dunning engine itself, as the run will plan it: who is left alone (paid, credited, disputed, "
    "promised, on hold), each customer's sending hours in its own time zone (outside them a message is scheduled "
    "for the next window), manual steps, channels and documents."
)
st.dataframe(
    preview.lines[
        [
            "invoice_number",
            "customer",
            "outcome",
            "when",
            "channel",
            "step",
            "reason",
            "documents",
            "open_amount",
            "currency",
        ]
    ],
    hide_index=True,
    key="preview_lines",
)
lang_col, skip_col = st.columns(2)
lang_col.dataframe(preview.by_language, hide_index=True, key="preview_languages")
skip_col.dataframe(
    pd.DataFrame(
        {
            "reason": list(preview.skipped),
            "invoices": list(preview.skipped.values()),
            "why": [campaigns.REASONS.get(r, r) for r in preview.skipped],
        }
    ),
    hide_index=True,
    key="preview_skipped",
)
if preview.not_found:
    st.warning(f"Not open, or not found: {', '.join(preview.not_found[:20])}")
for language in preview.samples:
    with st.expander(f"Sample message — {language}", expanded=True):
        if kind == "resend":
            st.caption(
                f"Invoice {preview.samples[language]['invoice_number']} is sent again with its documents on the "
                "customer's next channel."
            )
        else:
            try:
                rendered = campaigns.render_sample(preview, language, snap, engine)
                st.markdown(f"**{rendered['subject']}**")
                st.text(rendered["body"])
            except campaigns.CampaignError as broken:
                st.error(str(broken))

if st.button(
    "Confirm and queue",
    type="primary",
    key="campaign_confirm",
    disabled=preview.invoice_count + preview.counts.get("handed_over", 0) == 0
    or not reason.strip()
    or bool(preview.blocked),
):
    try:
        st.session_state["campaign_request"] = campaigns.submit(
            engine,
            kind=kind,
            target=target,
            requested_by=user.username,
            reason=reason,
            step=step,
            template=template,
            preview_counts=preview.as_counts(),
        )
        st.session_state.pop("campaign_target", None)
    except campaigns.CampaignError as refused:
        st.error(str(refused))

st.subheader("4. Progress and result")
request_id = st.session_state.get("campaign_request")


@st.fragment(run_every=2)
def show_progress():
    if not request_id:
        st.caption("No campaign queued in this session.")
        return
    state = campaigns.progress(engine, request_id)
    st.write(f"Request `{request_id}` — **{state.state}**" + (f" (run {state.run_id})" if state.run_id else ""))
    st.caption(state.waiting_for())
    total = state.total
    st.progress(min(1.0, state.done / total) if total else 0.0, text=f"{state.done} of {total} invoices done")
    outcomes = state.outcomes
    sent_col, fallback_col, scheduled_col, handover_col, failed_col, skipped_col = st.columns(6)
    sent_col.metric("Sent", outcomes.get("sent", 0))
    fallback_col.metric("Sent after fallback", outcomes.get("sent_after_fallback", 0))
    scheduled_col.metric("Scheduled", outcomes.get("scheduled", 0))
    handover_col.metric("Handed over", outcomes.get("handed_over", 0))
    failed_col.metric("Failed", outcomes.get("failed", 0))
    skipped_col.metric("Skipped", outcomes.get("skipped", 0))
    if outcomes.get("sending"):
        st.caption(f"{outcomes['sending']} being sent.")
    preview_counts = state.counts.get("preview") or {}
    if preview_counts:
        st.caption(
            f"The preview announced {preview_counts.get('send', 0)} sent now, {preview_counts.get('scheduled', 0)} "
            f"scheduled, {preview_counts.get('handed_over', 0)} handed over and {preview_counts.get('skipped', 0)} "
            f"skipped, {preview_counts.get('planned', 0)} in all."
        )
    st.dataframe(
        pd.DataFrame(
            {
                "reason": list(state.skipped),
                "invoices": list(state.skipped.values()),
                "why": [campaigns.REASONS.get(r, r) for r in state.skipped],
            }
        ),
        hide_index=True,
        key="result_skipped_table",
    )
    with st.expander("Every invoice of the request"):
        st.dataframe(state.lines, hide_index=True, key="result_lines")


show_progress()

st.subheader("5. Handed over to a person")
open_handovers = campaigns.handovers(engine)
if open_handovers.empty:
    st.caption("No manual step is waiting.")
else:
    st.caption(
        "Invoices whose policy hands the next step to a person (a call, collections): mark them done once dealt "
        "with; the note is kept on the dunning line and in the audit log."
    )
    picked_handovers = st.dataframe(
        open_handovers, hide_index=True, key="handover_table", on_select="rerun", selection_mode="multi-row"
    )
    note = st.text_input("What was done", key="handover_note")
    chosen_rows = picked_handovers.selection.rows
    if st.button("Mark done", key="handover_done", disabled=not chosen_rows or not note.strip()):
        try:
            ids = [int(i) for i in open_handovers.iloc[chosen_rows]["line_id"]]
            done = campaigns.handovers_done(engine, ids, by=user.username, note=note)
            st.success(f"{done} hand-overs marked done.")
        except campaigns.CampaignError as refused:
            st.error(str(refused))

with st.expander("Recent requests"):
    st.dataframe(campaigns.recent_requests(engine), hide_index=True, key="recent_requests")
