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
ui.require_tables(snap, data.DASHBOARD_INVOICES)
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
preview = campaigns.preview(snap, engine, target)
count_col, amount_col, customers_col, skipped_col = st.columns(4)
count_col.metric("Invoices to send", preview.invoice_count)
amount_col.metric("Open amount", ui.money(preview.amount))
customers_col.metric("Customers", preview.customer_count)
skipped_col.metric("Skipped by suppression", preview.skipped_count)
lang_col, skip_col = st.columns(2)
lang_col.dataframe(preview.by_language, hide_index=True, key="preview_languages")
skip_col.dataframe(
    pd.DataFrame({"reason": list(preview.skipped), "invoices": list(preview.skipped.values())}),
    hide_index=True,
    key="preview_skipped",
)
sample_template = steps.get(step) if step else template
for language, sample in preview.samples.items():
    with st.expander(f"Sample message — {language}", expanded=True):
        if kind == "resend":
            st.caption(
                f"Invoice {sample['invoice_number']} is sent again with its documents on the customer's next channel."
            )
        elif not sample_template:
            st.caption("Choose a step or a template to see the message.")
        else:
            try:
                rendered = campaigns.render_sample(sample_template, language, sample, snap)
                st.markdown(f"**{rendered['subject']}**")
                st.text(rendered["body"])
            except campaigns.CampaignError as broken:
                st.error(str(broken))

if st.button(
    "Confirm and queue",
    type="primary",
    key="campaign_confirm",
    disabled=preview.invoice_count == 0 or not reason.strip(),
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
            preview_counts={
                "invoice_count": preview.invoice_count,
                "customers": preview.customer_count,
                "amount": str(preview.amount),
                "skipped": preview.skipped,
            },
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
    total = sum(state.outbox.values())
    done = sum(n for s, n in state.outbox.items() if s in ("sent", "failed", "dead"))
    st.progress(
        done / total if total else (1.0 if state.finished else 0.0),
        text=f"{done} of {total} messages dispatched" if total else "waiting for the dunning run",
    )
    if state.finished:
        sent_col, skipped_col = st.columns(2)
        sent_col.metric("Sent", state.sent)
        skipped_col.metric("Skipped", sum(state.skipped.values()))
        st.dataframe(
            pd.DataFrame({"reason": list(state.skipped), "invoices": list(state.skipped.values())}),
            hide_index=True,
            key="result_skipped_table",
        )


show_progress()

with st.expander("Recent requests"):
    st.dataframe(campaigns.recent_requests(engine), hide_index=True, key="recent_requests")
