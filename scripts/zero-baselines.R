# Six weekly series with all-zero and nearly-all-zero baselines, and R surveillance 1.20.3 on
# each: EARS C1-C3, the CUSUM, farrington (with and without limit54) and farringtonFlexible.
# Used by scripts/check-zero-baselines (which replaces /tmp/zb with its own folder); the
# recorded output is the table in crates/stats/tests/zero_baselines.rs.
suppressMessages(library(surveillance))
n <- 312
mk <- function() rep(0, n)
cases <- list()
cases$zero <- mk()
x <- mk(); x[c(310, 312)] <- c(1, 2); cases$one_at_end <- x
x <- mk(); x[309:312] <- c(2, 2, 3, 4); cases$spike_limit54_met <- x
x <- mk(); x[312 - 52] <- 1; x[312] <- 1; cases$one_in_window <- x
x <- mk(); x[c(312 - 52, 312 - 104 + 1)] <- c(1, 1); x[309:312] <- c(1, 2, 2, 3); cases$two_in_window_spike <- x
x <- mk(); x[c(50, 150)] <- 1; x[312] <- 1; cases$near <- x
rng <- 309:312
out <- list()
for (nm in names(cases)) {
  x <- cases[[nm]]
  write.csv(data.frame(period = 1:n, count = x), sprintf("/tmp/zb/%s.csv", nm), row.names = FALSE)
  s <- sts(observed = matrix(x, ncol = 1), frequency = 52, start = c(2000, 1))
  runs <- list(
    farrington = function() farrington(s, control = list(range = rng, b = 4, w = 3, alpha = 0.05)),
    farrington_nolimit = function() farrington(s, control = list(range = rng, b = 4, w = 3, alpha = 0.05, limit54 = c(0, 4))),
    flexible = function() farringtonFlexible(s, control = list(range = rng, b = 4, w = 3, alpha = 0.05, noPeriods = 1, populationOffset = FALSE)),
    flexible_nolimit = function() farringtonFlexible(s, control = list(range = rng, b = 4, w = 3, alpha = 0.05, noPeriods = 1, populationOffset = FALSE, limit54 = c(0, 4))),
    c1 = function() earsC(s, control = list(range = rng, method = "C1", alpha = 0.001)),
    c2 = function() earsC(s, control = list(range = rng, method = "C2", alpha = 0.001)),
    c3 = function() earsC(s, control = list(range = rng, method = "C3", alpha = 0.001)),
    cusum = function() cusum(s, control = list(range = rng))
  )
  for (m in names(runs)) {
    r <- tryCatch(runs[[m]](), error = function(e) NULL)
    if (is.null(r)) { cat(nm, m, "ERROR\n"); next }
    for (i in seq_along(rng)) cat(sprintf("%s %s %d %d %s %s\n", nm, m, rng[i], x[rng[i]], format(upperbound(r)[i, 1], digits = 10), as.integer(alarms(r)[i, 1])))
  }
}
