# Base R, vector arithmetic only: DSRs with Dobson limits (Byar's on the total count) for every
# group in the file the criterion bench writes. Written here from the published formulae
# (Dobson et al. 1991; Fingertips technical guidance), not from any package.
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
esp <- c(5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500,
         5000, 4000, 2500, 1500, 1000)
w <- esp[d$band + 1]
z <- qnorm(0.975)
dsr_all <- function() {
  ws <- rowsum(w, d$group)
  value <- rowsum(w * d$count / d$population, d$group) / ws
  vardsr <- rowsum(w^2 * d$count / d$population^2, d$group) / ws^2
  o <- rowsum(d$count, d$group)
  lo <- o * (1 - 1 / (9 * o) - z / (3 * sqrt(o)))^3
  hi <- (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * sqrt(o + 1)))^3
  k <- sqrt(vardsr / o)
  ok <- o >= 10
  list(value = ifelse(ok, value * 1e5, NA), lower = ifelse(ok, (value + k * (lo - o)) * 1e5, NA),
       upper = ifelse(ok, (value + k * (hi - o)) * 1e5, NA))
}
reps <- 50
invisible(dsr_all())
t <- system.time(for (i in seq_len(reps)) r <- dsr_all())[["elapsed"]]
cat(sprintf("R %s: %d groups x 19 bands: %.3f ms per run (%d runs)\n",
            R.version.string, length(r$value), 1000 * t / reps, reps))
cat(sprintf("checksum: sum of %d DSRs per 100,000 = %.6f\n", length(r$value), sum(r$value, na.rm = TRUE)))
