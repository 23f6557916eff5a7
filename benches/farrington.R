# R surveillance's farringtonFlexible on the 1,000 series that
# `cargo run --release -p lantern-stats --example farrington_many` writes, with the same controls
# (Noufaily et al. 2013 settings, b = 4 to fit 5 years), timed over the whole set in one run.
suppressPackageStartupMessages(library(surveillance))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
ids <- unique(d$series)
weeks <- max(d$t)
control <- list(range = 212:weeks, b = 4, w = 3, noPeriods = 10, pastWeeksNotIncluded = 26,
                weightsThreshold = 2.58, thresholdMethod = "nbPlugin", alpha = 0.05)
run <- function() {
  lapply(ids, function(i) {
    s <- sts(observed = d$count[d$series == i], frequency = 52, start = c(2000, 1))
    f <- farringtonFlexible(s, control = control)
    list(ub = upperbound(f), alarm = alarms(f))
  })
}
t <- system.time(r <- run())[["elapsed"]]
alarms <- sum(sapply(r, function(x) sum(x$alarm, na.rm = TRUE)))
bounds <- sum(sapply(r, function(x) sum(x$ub, na.rm = TRUE)))
cat(sprintf("%s, surveillance %s: %d series x %d weeks, range 212:%d: %.3f s (%.2f ms per series)\n",
            R.version.string, packageVersion("surveillance"), length(ids), weeks, weeks, t,
            1000 * t / length(ids)))
cat(sprintf("checksum: %d alarms, sum of upper bounds = %.6f\n", alarms, bounds))
