"""Customer 360: one customer's invoices and the complete story of one invoice, with its evidence pack."""

import json

import pandas as pd
import streamlit as st

from dashboard import data, evidence, ui

user = ui.page(
    "Customer 360", caption="Invoices of a customer and every event of an invoice, in the customer's time zone."
)
snap = ui.snapshot()

with ui.section():
    search = st.text_input("Find a customer (id or name)", key="customer_search")
    found = data.find_customers(snap, search)
    if found.empty:
        st.info("No customer matches.")
        st.stop()
    labels = {f"{row.name} ({row.customer_id})": row.customer_id for row in found.itertuples()}
    choice = st.selectbox("Customer", list(labels), key="customer_choice")
    customer = data.customer(snap, labels[choice])

    info, open_col, overdue_col, count_col = st.columns([2, 1, 1, 1])
    info.markdown(
        f"**{customer['name']}** · {customer.get('segment') or 'no segment'} · "
        f"{customer.get('preferred_channel')} · {customer.get('language')} · {customer.get('timezone')}"
    )
    open_col.metric("Open", ui.money_short(customer.get("open_amount")), help=ui.money(customer.get("open_amount")))
    overdue_col.metric(
        "Overdue", ui.money_short(customer.get("overdue_amount")), help=ui.money(customer.get("overdue_amount"))
    )
    count_col.metric("Invoices", customer.get("invoice_count"))

    invoices = data.customer_invoices(snap, customer["customer_id"])
    st.dataframe(invoices, hide_index=True, key="customer_invoices")
    if invoices.empty:
        st.stop()

    st.subheader("Invoice timeline")
    number = st.selectbox("Invoice", invoices["invoice_number"].tolist(), key="timeline_invoice")
    inv, cust, entries = evidence.timeline(ui.engine(), snap, number)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "when (customer time)": e.local_time,
                    "event": e.kind,
                    "channel": e.channel,
                    "detail": e.summary,
                    "recorded by": e.source,
                    "evidence": json.dumps(e.evidence, default=str, ensure_ascii=False),
                }
                for e in entries
            ]
        ),
        hide_index=True,
        key="timeline_table",
        column_config={"evidence": st.column_config.JsonColumn("evidence", width="large")},
    )
    proofs = sum(1 for e in entries if e.is_delivery_or_retrieval)
    st.caption(f"{len(entries)} entries, {proofs} delivery or retrieval events.")
    if user.can("evidence_pack"):
        if st.button("Build evidence pack (PDF)", key="build_evidence"):
            st.session_state["evidence_pdf"] = (
                number,
                evidence.evidence_pack_pdf(inv, cust, entries, generated_by=user.display_name),
            )
            ui.audit("evidence_pack.built", target={"invoice_number": number}, item_count=proofs)
        built = st.session_state.get("evidence_pdf")
        if built and built[0] == number:
            st.download_button(
                "Download evidence pack",
                built[1],
                file_name=f"evidence-{number}.pdf",
                mime="application/pdf",
                key="download_evidence",
                on_click=ui.audit_callback("evidence_pack.downloaded", {"invoice_number": number}, proofs),
            )
