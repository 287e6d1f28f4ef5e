// MPI (Open MPI or MPICH; standard API only). The predefined handles are macros that do not
// import into Swift (Open MPI: addresses of globals; MPICH: casted integers), so tiny inline
// functions return them.
#ifndef AUTOSCALE_MPI_SHIM_H
#define AUTOSCALE_MPI_SHIM_H
#include <mpi.h>
static inline MPI_Comm autoscale_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype autoscale_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype autoscale_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype autoscale_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype autoscale_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op autoscale_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op autoscale_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op autoscale_mpi_no_op(void) { return MPI_NO_OP; }
static inline void *autoscale_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *autoscale_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Info autoscale_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline MPI_Win autoscale_mpi_win_null(void) { return MPI_WIN_NULL; }
static inline MPI_Datatype autoscale_mpi_int(void) { return MPI_INT; }
static inline MPI_Errhandler autoscale_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
#endif
