#!/usr/bin/env bash
# A sweep across a Slurm cluster as a job array: task i runs slice i of the same sweep
# (`--shard i/N`) into its own folder on a shared file system; merge the slices afterwards:
#
#   sbatch deploy/slurm/sweep.sh Scenarios/byzantine-equivocation.yaml 1...100000 /shared/sweeps/byz
#   gridsim merge /shared/sweeps/byz/slice-* --out /shared/sweeps/byz/all
#
# Needs gridsim on PATH on every node (a release build: make build) and the scenario's folder
# readable there. The array size (--array=0-7 below, N = 8) sets the number of slices.
#SBATCH --job-name=gridsim-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=12:00:00
#SBATCH --output=gridsim-sweep-%A-%a.log
set -euo pipefail
scenario=${1:?scenario file}
seeds=${2:?seeds A...B}
folder=${3:?shared output folder}
shift 3
slices=$(( SLURM_ARRAY_TASK_MAX - SLURM_ARRAY_TASK_MIN + 1 ))
slice=$(( SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN ))
exec gridsim sweep "$scenario" --seeds "$seeds" --jobs "${SLURM_CPUS_PER_TASK:-1}" \
    --shard "$slice/$slices" --junit "$folder/slice-$slice/junit.xml" --out "$folder/slice-$slice" "$@"
