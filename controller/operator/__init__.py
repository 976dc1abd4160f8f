"""The operator: watches, scheduling, one tick per canary, leader election, HTTP."""
