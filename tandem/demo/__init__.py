"""`tandem demo`: calls placed through the real flows and handlers on the local sandbox.

- `scripted`: the 13 scripted calls (`tandem demo`), and the entry point for the other modes;
- `day`: a synthetic day of N calls (`--calls N`);
- `experiment`, `experiment_callers`: an experiment over simulated days, its callers and who rings
  back, the guard each evening (`--calls N --experiment deflect|harmful|aa`);
- `handlers`, `decisions`, `events`: each handler on its own (`--handlers`);
- `scenarios`: the scripted calls, what each must come to, and how a call is placed;
- `trace`: a call's trace as printed;
- `contact_records`, `kpis`: the calls as Connect's contact records, counted by ctr_ingest and
  read back as the KPI report.

The sandbox's seed customers are the sandbox's (`tandem.local.demo_data`), not the demo's.
Nothing is imported here, so importing one module never loads the whole demo.
"""
