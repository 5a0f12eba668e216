"""Delivery adapters: one interface (`channels.adapters.base.Adapter`), one module per channel."""
