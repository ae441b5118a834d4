"""Amazon Connect flow documents as files: pure standard library, no CDK, no AWS SDK.

- `flowdoc.document`: read a flow file in any export shape (raw, `DescribeContactFlow`, a bare
  `Content` wrapper) and refuse what is not usable flow language, in one line.
- `flowdoc.placeholders`: the `{{type:name}}` grammar, strict resolution (synth) and lenient
  substitution (local tools).
- `flowdoc.jsonpath`: Connect's `$.Attributes.x` references.
- `flowdoc.walk`: every string of a document, keys included, with its location.
- `flowdoc.testcase`: Connect's test-case document (the testing language, in the repo's wrapper
  form), read and checked in one line; the local runner and synth both use it.

Synth (`infra/`), `tandem flows lint`, `tandem simulate` and `tandem test` all import it; it is
never part of a Lambda asset (packaging bundles `lambdas/` only).
"""
