"""Every stand-in for the outside world, for the demo and the tests: the demo company's ERP exports
(generator/), a local SMTP server (mailserver.py), a customer's accounts-payable portal (ap_portal.py), an
e-invoice platform answering by folder (folder_platform.py), the supervisor of the demo's servers
(processes.py), and the `relance` commands that exist only for the demo (commands/, registered through the
`relance.commands` entry-point group). Production code (pipelines, assets, channels, dashboard, stores)
never imports this package: tests/test_layout.py checks every import.

demo/approved_platform/ is reserved for the approved platform speaking the AFNOR XP Z12-013 API.
"""
