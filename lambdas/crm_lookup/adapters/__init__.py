"""CRM adapters: one interface, several back ends."""
