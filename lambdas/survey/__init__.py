"""Survey: stores the post-call CSAT rating (1 to 5) against the contact and its route."""
