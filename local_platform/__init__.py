"""The platform's AWS front doors, on 127.0.0.1, for `make run-apps`: a Cognito-like identity server with its hosted
UI (`identity`), the load balancer's sign-in in front of the UI apps (`alb`), the static sites with /api behind
them (`site`), and the launcher that runs all four apps behind them (`run`). The apps run their production code;
only their configuration points them here. The test support in modules/tests/ builds on these."""
