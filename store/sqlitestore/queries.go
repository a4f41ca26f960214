package sqlitestore

// writeQueries returns the fixed statements prepared once on the writer
// connection at Open.
func writeQueries() []string {
	return append([]string{
		qAccountInsert, qAccountExists, qAccountUpdate, qAccountSetMode, qAccountDelete,
		qExportInsert, qExportGet, qExportExists, qExportUpdate,
		qShipmentInsert, qShipmentGet, qShipmentExists, qShipmentUpdate,
		qCursorInsert, qCursorUpdate,
		qLeaseAcquire, qLeaseRenew, qLeaseRelease,
		qRecordUpsert, qRecordUpsertExec, qRecordSetResolved,
		qLogInsert, qLogPurge,
		qRunInsert, qRunFinish,
		qCustomerPut,
		qNotifyInsert, qNotifyUpdate,
	}, removeQueries()...)
}

// readQueries returns the fixed statements prepared once on the reader pool.
func readQueries() []string {
	return append([]string{
		qAccountGet, qAccountList,
		qExportGet, qExportByVeeqoID,
		qShipmentGet, qShipmentFind,
		qCursorGet,
		qRecordGet, qRecordGetMany,
		qRunGet,
		qCustomerGet,
		qNotifyGet,
		qLogPurgeScan,
	}, shipmentListShapes()...)
}
