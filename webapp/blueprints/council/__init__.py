"""Pages for the town council (issue 10 item 5): the what-if report of the rebate rules."""
